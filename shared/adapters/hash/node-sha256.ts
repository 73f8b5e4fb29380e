import { createHash, type Hash } from 'node:crypto';
import type { RunningHash, Sha256Engine } from '../../ports/sha256.js';

class NodeRunningHash implements RunningHash {
  constructor(private readonly hash: Hash) {}

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  save(): null {
    return null;
  }

  copy(): RunningHash {
    return new NodeRunningHash(this.hash.copy());
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

/** OpenSSL's SHA-256 (hardware-accelerated where the CPU can), kept in process memory. */
export const nodeSha256: Sha256Engine = {
  resumable: false,
  start: () => new NodeRunningHash(createHash('sha256')),
  startUnsaved: () => new NodeRunningHash(createHash('sha256')),
  resume: () => null,
};
