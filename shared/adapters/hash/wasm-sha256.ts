import { createSHA256, type IHasher } from 'hash-wasm';
import type { RunningHash, Sha256Engine } from '../../ports/sha256.js';
import { nodeSha256 } from './node-sha256.js';

/**
 * SHA-256 whose state can be saved (hash-wasm's `save`/`load`: about 100
 * bytes, which include the last partial block of input, so they are kept as
 * privately as the bytes themselves). One WebAssembly instance serves every
 * running hash: the one being fed lives in the instance, the others keep
 * their saved state, and JavaScript's single thread makes the swap safe.
 */
class WasmRunningHash implements RunningHash {
  /** This hash's state while another one lives in the instance. */
  parked: Uint8Array;

  constructor(
    private readonly engine: WasmSha256Engine,
    state: Uint8Array,
  ) {
    this.parked = state;
  }

  update(chunk: Uint8Array): void {
    this.engine.activate(this).update(chunk);
  }

  save(): Uint8Array {
    return this.engine.stateOf(this);
  }

  copy(): RunningHash {
    return new WasmRunningHash(this.engine, this.save());
  }

  hex(): string {
    const hex = this.engine.activate(this).digest('hex');
    this.engine.release(this);
    return hex;
  }
}

class WasmSha256Engine implements Sha256Engine {
  readonly resumable = true;
  private live: WasmRunningHash | null = null;
  private readonly initial: Uint8Array;

  constructor(private readonly hasher: IHasher) {
    this.initial = hasher.init().save();
  }

  activate(hash: WasmRunningHash): IHasher {
    if (this.live !== hash) {
      if (this.live) this.live.parked = this.hasher.save();
      this.hasher.load(hash.parked);
      this.live = hash;
    }
    return this.hasher;
  }

  stateOf(hash: WasmRunningHash): Uint8Array {
    return this.live === hash ? this.hasher.save() : hash.parked.slice();
  }

  release(hash: WasmRunningHash): void {
    if (this.live === hash) this.live = null;
  }

  start(): RunningHash {
    return new WasmRunningHash(this, this.initial.slice());
  }

  /** OpenSSL's, about three times as fast as this one: nothing is saved, so nothing needs to be resumable. */
  startUnsaved(): RunningHash {
    return nodeSha256.start();
  }

  resume(state: Uint8Array): RunningHash | null {
    if (this.live) {
      this.live.parked = this.hasher.save();
      this.live = null;
    }
    try {
      // Loading checks the state's format and build; a foreign one throws.
      this.hasher.load(state);
    } catch {
      return null;
    }
    const hash = new WasmRunningHash(this, state.slice());
    this.live = hash;
    return hash;
  }
}

/** The resumable engine; WebAssembly compiles once, so build it once per process. */
export async function createWasmSha256(): Promise<Sha256Engine> {
  return new WasmSha256Engine(await createSHA256());
}
