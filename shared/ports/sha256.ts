/**
 * SHA-256 over bytes as they stream in. A registry whose upload sessions
 * may continue on another process (several servers on one database, the
 * data plane's tasks) needs a hash whose state can be saved with the
 * session and resumed anywhere; a single process can keep the faster
 * native hash in memory instead.
 */
export interface RunningHash {
  update(chunk: Uint8Array): void;
  /** The state after the bytes so far, for `Sha256Engine.resume`; null if this engine cannot save one. */
  save(): Uint8Array | null;
  /** An independent copy that goes on from here. */
  copy(): RunningHash;
  /** The lowercase hex digest of everything so far; the hash is finished after this. */
  hex(): string;
}

export interface Sha256Engine {
  /** Whether `save()` gives states that `resume` takes. */
  readonly resumable: boolean;
  start(): RunningHash;
  /**
   * A hash for bytes that all arrive in one request and finish the upload:
   * its state is never saved, so it may be the fastest hash the process has.
   */
  startUnsaved(): RunningHash;
  /** Continues a saved state; null if this engine cannot read it (another engine, another build). */
  resume(state: Uint8Array): RunningHash | null;
}
