import type { BlobRef, BlobStore } from '../ports/blob-store.js';
import type { BlobPlacement, BlobRecord } from '../ports/metadata-store.js';

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

  /** Every location, preferred or not. */
  names(): string[] {
    return [...this.stores.keys()];
  }

  get(name: string): BlobStore {
    const store = this.stores.get(name);
    if (!store) throw new Error(`unknown storage location ${name}`);
    return store;
  }

  /**
   * The best location among those that hold the blob, by preference, then
   * any configured one, with the blob's reference there.
   */
  choose(blob: BlobRecord): { name: string; store: BlobStore; ref: BlobRef } | null {
    const at = (name: string) => blob.placements.find((p) => p.location === name);
    const placement: BlobPlacement | undefined =
      this.preference.map(at).find((p) => p !== undefined) ??
      blob.placements.find((p) => this.stores.has(p.location));
    if (!placement) return null;
    return {
      name: placement.location,
      store: this.get(placement.location),
      ref: { digest: blob.digest, key: placement.key },
    };
  }
}
