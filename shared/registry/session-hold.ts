import type { UploadClaim } from '../ports/metadata-store.js';
import type { RegistryDeps } from './registry-deps.js';

/**
 * One request's hold on an upload session (see `claimUpload`). While the
 * request streams, the hold is renewed a third of the way through each
 * period, so only a dead process lets a session go; a renewal that finds the
 * hold gone (the session was cancelled) marks it lost, and the stream stops
 * at its next chunk.
 */
export class SessionHold {
  readonly token: string;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** The session was cancelled or taken over: nothing this request writes may commit. */
  lost = false;
  /** The hold ended with a write that let the session go (or removed it): nothing to release. */
  settled = false;

  constructor(
    private readonly deps: Pick<RegistryDeps, 'metadata' | 'clock' | 'newId' | 'options'>,
    readonly uploadId: string,
  ) {
    this.token = deps.newId();
  }

  claim(): UploadClaim {
    const nowMs = this.deps.clock.now();
    return { token: this.token, nowMs, untilMs: nowMs + this.deps.options.uploadClaimMs };
  }

  /** Starts renewing, for as long as the request runs. */
  begin(): void {
    const every = Math.max(Math.floor(this.deps.options.uploadClaimMs / 3), 1);
    this.timer = setInterval(() => void this.renew(), every);
    this.timer.unref?.();
  }

  private async renew(): Promise<void> {
    const nowMs = this.deps.clock.now();
    try {
      const held = await this.deps.metadata.renewUploadClaim(
        this.uploadId,
        this.token,
        nowMs + this.deps.options.uploadClaimMs,
        nowMs,
      );
      if (!held) this.lost = true;
    } catch {
      // A database hiccup: the next renewal tries again, well before the hold lapses.
    }
  }

  settle(): void {
    this.settled = true;
  }

  /** Stops renewing and, unless a write already did, lets the session go. */
  async end(): Promise<void> {
    clearInterval(this.timer);
    if (this.settled || this.lost) return;
    await this.deps.metadata.releaseUpload(this.uploadId, this.token).catch(() => undefined);
  }
}
