import type { Kysely } from 'kysely';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { SqlGarbageStore } from '../../shared/adapters/sql/sql-garbage-store.js';
import { SqlPruneStore } from '../../shared/adapters/sql/sql-prune-store.js';
import { SqlQuotaStore } from '../../shared/adapters/sql/sql-quota-store.js';
import type { BerthConfig } from '../../shared/config/config.js';
import type { Registry } from '../../shared/registry/registry.js';
import { DEFAULT_AUTOPRUNE } from '../../shared/workers/autoprune.js';
import { DEFAULT_QUOTA_WORKER } from '../../shared/workers/quota-worker.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';

/** The scheduled workers' dependencies on the registry's database, for any runtime. */
export function workersFromConfig(
  config: Pick<BerthConfig, 'gcGraceMs'>,
  db: Kysely<Database>,
  registry: Registry,
): WorkerDeps {
  return {
    registry: registry.deps,
    garbage: new SqlGarbageStore(db),
    quota: new SqlQuotaStore(db),
    prune: new SqlPruneStore(db),
    options: {
      gcGraceMs: config.gcGraceMs,
      gcBatchSize: 500,
      autoprune: DEFAULT_AUTOPRUNE,
      quota: DEFAULT_QUOTA_WORKER,
    },
  };
}
