import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { SqlMetadataStore } from '../../shared/adapters/sql/sql-metadata-store.js';
import type { BerthConfig, StorageLocationConfig } from '../../shared/config/config.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';
import type { Cache } from '../../shared/ports/cache.js';
import { ModelCache } from '../../shared/registry/model-cache.js';
import { systemClock } from '../../shared/ports/clock.js';
import { DEFAULT_REGISTRY_OPTIONS } from '../../shared/registry/registry-deps.js';
import { createRegistry, type Registry } from '../../shared/registry/registry.js';
import { StorageLocations } from '../../shared/registry/storage-locations.js';
import type { ReplicationNudge } from '../../shared/registry/replication-nudge.js';
import { DEFAULT_HEALTH } from '../../shared/registry/location-health.js';
import { nodeSha256 } from '../../shared/adapters/hash/node-sha256.js';
import type { Sha256Engine } from '../../shared/ports/sha256.js';
import { tickingWakeups, type Wakeups } from '../../shared/ports/wakeups.js';

/** Rows per listing query on the Data API, whose results may not pass 1 MiB. */
export const DATA_API_ROWS_PER_QUERY = 2_000;

/** The registry core on a database and the configured storage locations, for any runtime. */
export function registryFromConfig(
  config: BerthConfig,
  db: Kysely<Database>,
  wiring: {
    cache: Cache;
    /** How a configured location becomes a store: S3 only on AWS, a directory or S3 locally. */
    storeFor: (location: StorageLocationConfig, proxyStorage: boolean) => BlobStore;
    stores?: Map<string, BlobStore> | undefined;
    /** Resumable where upload sessions may continue in another process; else the native hash. */
    sha256?: Sha256Engine;
    /** Wakes other regions' replication workers after a push (AWS). */
    replicationNudge?: ReplicationNudge;
    /** Wakes the notification worker after a write queued deliveries. */
    wakeups?: Wakeups;
  },
): Registry {
  const { stores } = wiring;
  return createRegistry({
    metadata: new SqlMetadataStore(db, {
      replicateTo: config.replicateTo,
      enforceQuotas: config.quotaManagement,
      immutability: config.immutability,
    }),
    cache: new ModelCache(wiring.cache, {
      repositoryBlobTtlMs: config.cache.repositoryBlobTtlMs,
    }),
    storage: new StorageLocations(
      stores ??
        new Map(
          config.storage.locations.map((l) => [l.name, wiring.storeFor(l, config.proxyStorage)]),
        ),
      config.storage.preference,
      { ...DEFAULT_HEALTH, probeIntervalMs: config.storage.probeIntervalMs },
      config.storage.writable,
    ),
    clock: systemClock,
    newId: randomUUID,
    sha256: wiring.sha256 ?? nodeSha256,
    ...(wiring.replicationNudge ? { replicationNudge: wiring.replicationNudge } : {}),
    wakeups: wiring.wakeups ?? tickingWakeups,
    options: {
      ...DEFAULT_REGISTRY_OPTIONS,
      chunkMinLength: config.chunkMinLength,
      deletionEnabled: config.deletionEnabled,
      createsRepositories: !config.access.enabled,
      timeMachineMs: config.timeMachineMs,
      publishesEvents: Boolean(config.notifications.eventBusName),
      // 2,000 names of at most 255 bytes, with the Data API's per-field wrapping, stay under 1 MiB.
      ...(config.dataApi ? { metadataRowsPerQuery: DATA_API_ROWS_PER_QUERY } : {}),
    },
  });
}
