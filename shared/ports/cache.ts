/**
 * Short-lived copies of what the database holds, kept to spare it reads.
 * Losing an entry, or the whole cache, loses nothing: a cache that cannot be
 * reached behaves as an empty one (gets miss, sets and deletes do nothing),
 * so it never fails a request. Every adapter runs
 * `test/contract/cache.contract.ts`.
 */
export interface Cache {
  /** The values under `keys`, in order; null for a key missing or expired. */
  getMany(keys: string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
  close(): Promise<void>;
}
