import type { Cache } from '../../ports/cache.js';
import { systemClock, type Clock } from '../../ports/clock.js';

/**
 * The cache of one process: a Map kept in least-recently-used order (a hit
 * moves its key to the end; the first key is the one to evict), bounded by
 * entry count so it cannot grow with the registry.
 */
export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: string; expiresAtMs: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly clock: Clock = systemClock,
  ) {}

  async getMany(keys: string[]): Promise<(string | null)[]> {
    const now = this.clock.now();
    return keys.map((key) => {
      const entry = this.entries.get(key);
      if (!entry) return null;
      this.entries.delete(key);
      if (entry.expiresAtMs <= now) return null;
      this.entries.set(key, entry);
      return entry.value;
    });
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    if (this.maxEntries === 0 || ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAtMs: this.clock.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
