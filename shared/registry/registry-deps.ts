import type { Clock } from '../ports/clock.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ModelCache } from './model-cache.js';
import type { StorageLocations } from './storage-locations.js';

export interface RegistryOptions {
  /** Advertised as `OCI-Chunk-Min-Length`; smaller chunks are still accepted. */
  chunkMinLength: number;
  /** Whether `DELETE` on blobs and manifests is allowed (Distribution's `delete.enabled`). */
  deletionEnabled: boolean;
  /** Lifetime of presigned blob URLs, for stores that redirect. */
  redirectExpirySeconds: number;
  /** How long ended tags stay restorable (Quay's time machine). */
  timeMachineMs: number;
}

export const DEFAULT_REGISTRY_OPTIONS: RegistryOptions = {
  chunkMinLength: 5 * 1024 * 1024,
  deletionEnabled: true,
  redirectExpirySeconds: 300,
  timeMachineMs: 14 * 24 * 60 * 60 * 1000,
};

export interface RegistryDeps {
  metadata: MetadataStore;
  storage: StorageLocations;
  /** Lookups remembered between requests; never the only copy of anything. */
  cache: ModelCache;
  clock: Clock;
  newId: () => string;
  options: RegistryOptions;
}
