import type { RunningHash } from '../ports/sha256.js';

interface RunningDigest {
  hash: RunningHash;
  /** Bytes hashed so far; valid only while it equals the upload's committed size. */
  offset: number;
}

/**
 * The SHA-256 of each upload in progress in this process, fed while its
 * bytes stream in, so finishing needs no second pass over the data and the
 * next chunk needs no state loaded. An entry is only a shortcut: the
 * session's row keeps the saved state too when the engine can save one,
 * and without either the bytes are hashed again when the upload finishes.
 * Slower, but still correct, which is why losing an entry is always safe.
 */
export class RunningDigests {
  private readonly digests = new Map<string, RunningDigest>();

  constructor(private readonly capacity = 10_000) {}

  remember(uploadId: string, offset: number, hash: RunningHash): void {
    this.digests.delete(uploadId);
    if (this.digests.size >= this.capacity) {
      const oldest = this.digests.keys().next().value;
      if (oldest !== undefined) this.digests.delete(oldest);
    }
    this.digests.set(uploadId, { hash, offset });
  }

  /** The running hash if it covers exactly the first `offset` bytes of the upload. */
  at(uploadId: string, offset: number): RunningHash | undefined {
    const entry = this.digests.get(uploadId);
    return entry && entry.offset === offset ? entry.hash : undefined;
  }

  forget(uploadId: string): void {
    this.digests.delete(uploadId);
  }
}
