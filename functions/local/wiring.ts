import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { openEmbeddedDatabase } from '../../shared/adapters/sql/embedded-database.js';
import { openPostgresDatabase } from '../../shared/adapters/sql/postgres-database.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { SqlMetadataStore } from '../../shared/adapters/sql/sql-metadata-store.js';
import type { BerthConfig } from '../../shared/config/config.js';
import { createHttpApp } from '../../shared/http/app.js';
import type { HttpApp } from '../../shared/http/http-env.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';
import { systemClock } from '../../shared/ports/clock.js';
import { DEFAULT_REGISTRY_OPTIONS } from '../../shared/registry/registry-deps.js';
import { createRegistry, type Registry } from '../../shared/registry/registry.js';
import { StorageLocations } from '../../shared/registry/storage-locations.js';
import { blobStoreFor } from '../common/blob-stores.js';
import { lockDataDir } from './data-dir-lock.js';
import { nodeBodyReader } from './node-body-reader.js';

export interface LocalRegistry {
  app: HttpApp;
  registry: Registry;
  db: Kysely<Database>;
  /** Which database is in use, for the start-up banner. */
  databaseKind: 'embedded' | 'postgres';
  close(): Promise<void>;
}

/** Chooses and builds the local adapters from configuration; the only place that does. */
export async function buildLocalRegistry(config: BerthConfig): Promise<LocalRegistry> {
  const databaseKind = config.databaseUrl ? 'postgres' : 'embedded';
  const unlock = databaseKind === 'embedded' ? await lockDataDir(config.dataDir) : async () => {};
  const db = config.databaseUrl
    ? await openPostgresDatabase(config.databaseUrl)
    : await openEmbeddedDatabase(join(config.dataDir, 'pgdata'));
  const stores = new Map<string, BlobStore>(
    config.storage.locations.map((l) => [l.name, blobStoreFor(l, config.proxyStorage)]),
  );
  const registry = createRegistry({
    metadata: new SqlMetadataStore(db),
    storage: new StorageLocations(stores, config.storage.preference),
    clock: systemClock,
    newId: randomUUID,
    options: {
      ...DEFAULT_REGISTRY_OPTIONS,
      chunkMinLength: config.chunkMinLength,
      deletionEnabled: config.deletionEnabled,
    },
  });
  return {
    app: createHttpApp({ registry, readBody: nodeBodyReader }),
    registry,
    db,
    databaseKind,
    close: async () => {
      await db.destroy();
      await unlock();
    },
  };
}
