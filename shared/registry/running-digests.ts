import type { Hash } from 'node:crypto';
import { createDigester } from '../oci/digest.js';

interface RunningDigest {
  hash: Hash;
  /** Bytes hashed so far; valid only while it equals the upload's size. */
  offset: number;
}

/**
 * sha256 of each upload in progress, fed while its bytes stream in, so
 * finishing an upload needs no second pass over the data. Kept in memory: an
 * upload whose chunks land on another process, or that outlives a restart,
 * loses its entry and is re-hashed from storage when it finishes. That is
 * slower but still correct, which is why losing an entry is always safe.
 */
export class RunningDigests {
  private readonly digests = new Map<string, RunningDigest>();

  constructor(private readonly capacity = 10_000) {}

  start(uploadId: string): void {
    if (this.digests.size >= this.capacity) {
      const oldest = this.digests.keys().next().value;
      if (oldest !== undefined) this.digests.delete(oldest);
    }
    this.digests.set(uploadId, { hash: createDigester('sha256'), offset: 0 });
  }

  /** The running hash if it covers exactly the first `offset` bytes of the upload. */
  at(uploadId: string, offset: number): RunningDigest | undefined {
    const entry = this.digests.get(uploadId);
    return entry && entry.offset === offset ? entry : undefined;
  }

  forget(uploadId: string): void {
    this.digests.delete(uploadId);
  }
}
