import type { BlobStore } from '../ports/blob-store.js';

/**
 * The named places blobs can live (one per region once geo-replication
 * lands). Pushes write to the first preferred location; reads use the first
 * preferred location that holds the blob.
 */
export class StorageLocations {
  readonly preferred: string;

  constructor(
    private readonly stores: ReadonlyMap<string, BlobStore>,
    private readonly preference: readonly string[],
  ) {
    const first = preference[0];
    if (!first) throw new Error('storage preference must name at least one location');
    for (const name of preference) {
      if (!stores.has(name)) throw new Error(`storage preference names unknown location ${name}`);
    }
    this.preferred = first;
  }

  get(name: string): BlobStore {
    const store = this.stores.get(name);
    if (!store) throw new Error(`unknown storage location ${name}`);
    return store;
  }

  /** The best location among those that hold a blob, by preference, then any configured one. */
  choose(holding: readonly string[]): { name: string; store: BlobStore } | null {
    const name =
      this.preference.find((n) => holding.includes(n)) ?? holding.find((n) => this.stores.has(n));
    return name ? { name, store: this.get(name) } : null;
  }
}
