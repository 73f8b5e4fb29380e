import type { BlobRef, BlobStore } from '../ports/blob-store.js';
import type { BlobPlacement, BlobRecord } from '../ports/metadata-store.js';
import { DEFAULT_HEALTH, LocationHealth, type HealthOptions } from './location-health.js';

export interface ChosenLocation {
  name: string;
  store: BlobStore;
  ref: BlobRef;
}

/**
 * The named places blobs can live (one per region with geo-replication).
 * Pushes write to the first healthy location in the preference order; reads
 * use the first healthy preferred location that holds the blob, then any
 * healthy one, and only when none is healthy an unhealthy one.
 */
export class StorageLocations {
  /** Where uploads go when every location is healthy. */
  readonly preferred: string;
  /** The locations this server writes, in preference order. */
  readonly writes: readonly string[];
  readonly health: LocationHealth;

  constructor(
    private readonly stores: ReadonlyMap<string, BlobStore>,
    /** The order reads try, and new uploads among the writable locations. */
    readonly preference: readonly string[],
    health: HealthOptions = DEFAULT_HEALTH,
    /**
     * The locations this server may write (on AWS, its own region's bucket);
     * every preferred one when not given.
     */
    writableLocations?: readonly string[],
  ) {
    const first = preference[0];
    if (!first) throw new Error('storage preference must name at least one location');
    for (const name of preference) {
      if (!stores.has(name)) throw new Error(`storage preference names unknown location ${name}`);
    }
    this.writes = preference.filter(
      (name) => !writableLocations || writableLocations.includes(name),
    );
    if (this.writes.length === 0) throw new Error('no preferred storage location is writable');
    this.preferred = this.writes[0]!;
    this.health = new LocationHealth(stores, health);
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
   * Where a new upload may go, best first: the writable locations in
   * preference order, healthy ones before the others.
   */
  async writable(): Promise<string[]> {
    const healthy: string[] = [];
    const unhealthy: string[] = [];
    for (const name of this.writes) {
      ((await this.health.fresh(name)) ? healthy : unhealthy).push(name);
    }
    return [...healthy, ...unhealthy];
  }

  /** Whether some location is read here but written only by another server (another region's). */
  get writesElsewhere(): boolean {
    return this.writes.length < this.preference.length;
  }

  /**
   * Where another server should take a new upload this one cannot: when no
   * location this server writes is healthy, the first healthy preferred
   * location it does not write, if any. On AWS that is the nearest healthy
   * region, whose data plane the front door reaches by this name.
   */
  async handOff(): Promise<string | null> {
    if (!this.writesElsewhere) return null;
    for (const name of this.writes) {
      if (await this.health.fresh(name)) return null;
    }
    for (const name of this.preference) {
      if (!this.writes.includes(name) && (await this.health.fresh(name))) return name;
    }
    return null;
  }

  /**
   * The locations that hold the blob, best first: preferred ones in order,
   * then the others configured here; healthy before unhealthy.
   */
  candidates(blob: BlobRecord): ChosenLocation[] {
    const held = blob.placements.filter((p) => this.stores.has(p.location));
    const rank = (p: BlobPlacement) => {
      const i = this.preference.indexOf(p.location);
      return i === -1 ? this.preference.length : i;
    };
    const ordered = [...held].sort((a, b) => rank(a) - rank(b));
    const healthy = ordered.filter((p) => this.health.isHealthy(p.location));
    const unhealthy = ordered.filter((p) => !this.health.isHealthy(p.location));
    return [...healthy, ...unhealthy].map((p) => ({
      name: p.location,
      store: this.get(p.location),
      ref: { digest: blob.digest, key: p.key },
    }));
  }

  /** The best location that holds the blob, with its reference there. */
  choose(blob: BlobRecord): ChosenLocation | null {
    return this.candidates(blob)[0] ?? null;
  }

  /**
   * The best location for handing a client a URL: nothing on this side
   * would notice a dead store, so its health is confirmed first.
   */
  async chooseConfirmed(blob: BlobRecord): Promise<ChosenLocation | null> {
    for (const candidate of this.candidates(blob)) {
      if (await this.health.fresh(candidate.name)) return candidate;
    }
    return this.choose(blob);
  }
}
