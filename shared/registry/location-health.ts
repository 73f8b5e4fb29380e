import type { BlobStore } from '../ports/blob-store.js';
import { BlobNotFoundError, UploadNotFoundError, UploadOffsetError } from '../ports/errors.js';

export interface HealthOptions {
  /** A location's health older than this is probed again before it is relied on. */
  probeIntervalMs: number;
  /** A probe that takes longer counts as a failure. */
  probeTimeoutMs: number;
}

export const DEFAULT_HEALTH: HealthOptions = { probeIntervalMs: 10_000, probeTimeoutMs: 3_000 };

export interface LocationState {
  name: string;
  healthy: boolean;
  /** When this state was last confirmed by a probe or a real request; null before either. */
  checkedAtMs: number | null;
  /** Why it is unhealthy. */
  error: string | null;
}

/** A digest nothing is stored under: asking for it costs one metadata request and proves the store answers. */
const PROBE_REF = { digest: `sha256:${'0'.repeat(64)}`, key: null };

/** Errors that say something about the request, not about the location. */
export function isLocationFailure(error: unknown): boolean {
  return !(
    error instanceof BlobNotFoundError ||
    error instanceof UploadNotFoundError ||
    error instanceof UploadOffsetError
  );
}

/**
 * What each storage location's health is, from a light probe and from the
 * failures real requests meet. Unhealthy locations are skipped for reads
 * and new uploads; a probe that succeeds brings one back.
 */
export class LocationHealth {
  private readonly states = new Map<string, LocationState>();
  private readonly probing = new Map<string, Promise<LocationState>>();

  constructor(
    private readonly stores: ReadonlyMap<string, BlobStore>,
    private readonly options: HealthOptions = DEFAULT_HEALTH,
    private readonly now: () => number = Date.now,
  ) {
    for (const name of stores.keys()) {
      this.states.set(name, { name, healthy: true, checkedAtMs: null, error: null });
    }
  }

  isHealthy(name: string): boolean {
    return this.states.get(name)?.healthy ?? false;
  }

  all(): LocationState[] {
    return [...this.states.values()].map((s) => ({ ...s }));
  }

  reportFailure(name: string, error: unknown): void {
    if (!isLocationFailure(error)) return;
    const message = error instanceof Error ? error.message : String(error);
    this.states.set(name, { name, healthy: false, checkedAtMs: this.now(), error: message });
  }

  reportSuccess(name: string): void {
    this.states.set(name, { name, healthy: true, checkedAtMs: this.now(), error: null });
  }

  /** Probes the location if its state is older than the probe interval; one probe at a time. */
  async fresh(name: string): Promise<boolean> {
    const state = this.states.get(name);
    if (!state) return false;
    const age = state.checkedAtMs === null ? Infinity : this.now() - state.checkedAtMs;
    if (age < this.options.probeIntervalMs) return state.healthy;
    return (await this.probe(name)).healthy;
  }

  /** Probes every location now. */
  async probeAll(): Promise<LocationState[]> {
    return Promise.all([...this.states.keys()].map((name) => this.probe(name)));
  }

  probe(name: string): Promise<LocationState> {
    const running = this.probing.get(name);
    if (running) return running;
    const store = this.stores.get(name);
    if (!store) throw new Error(`unknown storage location ${name}`);
    const probe = this.run(name, store).finally(() => this.probing.delete(name));
    this.probing.set(name, probe);
    return probe;
  }

  private async run(name: string, store: BlobStore): Promise<LocationState> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.options.probeTimeoutMs} ms`)),
        this.options.probeTimeoutMs,
      );
    });
    try {
      await Promise.race([store.stat(PROBE_REF), timeout]);
      this.reportSuccess(name);
    } catch (error) {
      this.reportFailure(name, error);
    } finally {
      clearTimeout(timer);
    }
    return { ...this.states.get(name)! };
  }
}
