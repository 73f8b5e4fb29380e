import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { CredentialBox } from '../../shared/access/credential-box.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { SqlGarbageStore } from '../../shared/adapters/sql/sql-garbage-store.js';
import { SqlMirrorStore } from '../../shared/adapters/sql/sql-mirror-store.js';
import { SqlPruneStore } from '../../shared/adapters/sql/sql-prune-store.js';
import { SqlQuotaStore } from '../../shared/adapters/sql/sql-quota-store.js';
import type { BerthConfig } from '../../shared/config/config.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { Wakeups } from '../../shared/ports/wakeups.js';
import type { Registry } from '../../shared/registry/registry.js';
import { DEFAULT_AUTOPRUNE } from '../../shared/workers/autoprune.js';
import { DEFAULT_MIRROR_OPTIONS, type MirrorOptions } from '../../shared/workers/mirror-sync.js';
import { DEFAULT_QUOTA_WORKER } from '../../shared/workers/quota-worker.js';
import { DEFAULT_REPLICATION } from '../../shared/workers/replication.js';
import { SqlReplicationStore } from '../../shared/adapters/sql/sql-replication-store.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';
import { AddressGuard } from '../../shared/adapters/upstream/address-guard.js';
import { HttpUpstreamConnector } from '../../shared/adapters/upstream/http-upstream-registry.js';
import { credentialKeyFrom } from './access-from-config.js';
import { notificationsFromConfig } from './notifications-from-config.js';
import type { Mailer } from '../../shared/ports/notification-transport.js';
import type { EventPublisher } from '../../shared/ports/event-outbox.js';
import type { PublicAddress } from '../../shared/notifications/event-data.js';

/** The periodic tasks whose feature is switched off, and that must not run. */
export function disabledTasks(
  config: Pick<BerthConfig, 'mirror' | 'quotaManagement' | 'autoprune' | 'replicateTo'>,
): string[] {
  return [
    ...(config.quotaManagement ? [] : ['quota-backfill']),
    ...(config.autoprune ? [] : ['autoprune']),
    ...(config.mirror.enabled ? [] : ['mirror-schedule']),
    // Without FEATURE_STORAGE_REPLICATION there is nowhere to copy to: no need to look every 5 s.
    ...(config.replicateTo.length > 0 ? [] : ['replication']),
  ];
}

/** The workers' dependencies on the registry's database, for any runtime. */
export function workersFromConfig(
  config: Pick<
    BerthConfig,
    | 'gcGraceMs'
    | 'mirror'
    | 'replicateTo'
    | 'replicationLeaseMs'
    | 'quotaManagement'
    | 'autoprune'
    | 'immutability'
    | 'outboundAllowedHosts'
    | 'notifications'
  >,
  db: Kysely<Database>,
  registry: Registry,
  wiring: {
    secret: string;
    queue: JobQueue;
    mirrorOptions?: Partial<MirrorOptions>;
    /** Local servers tick often enough not to need any (`tickingWakeups`). */
    wakeups: Wakeups;
    /** How notifications leave: by mail, to an event bus, with URLs naming this host. */
    notify: {
      mailer: Mailer | null;
      publisher: EventPublisher | null;
      /** Asked at each send: a local server learns its port only once it listens. */
      address: () => PublicAddress | null;
    };
  },
): WorkerDeps {
  return {
    registry: registry.deps,
    garbage: new SqlGarbageStore(db),
    quota: new SqlQuotaStore(db),
    prune: new SqlPruneStore(db, config.immutability),
    mirror: {
      registry,
      mirrors: new SqlMirrorStore(db),
      upstream: new HttpUpstreamConnector(new AddressGuard(config.outboundAllowedHosts)),
      credentials: new CredentialBox(credentialKeyFrom(wiring.secret)),
      queue: wiring.queue,
      wakeups: wiring.wakeups,
      clock: registry.deps.clock,
      newId: randomUUID,
      options: {
        ...DEFAULT_MIRROR_OPTIONS,
        rollback: config.mirror.rollback,
        ...wiring.mirrorOptions,
      },
    },
    replication: {
      replication: new SqlReplicationStore(db),
      storage: registry.deps.storage,
      clock: registry.deps.clock,
      newId: randomUUID,
      sha256: registry.deps.sha256,
      targets: config.replicateTo,
    },
    notifications: notificationsFromConfig(config, db, {
      secret: wiring.secret,
      wakeups: wiring.wakeups,
      clock: registry.deps.clock,
      ...wiring.notify,
    }),
    options: {
      gcGraceMs: config.gcGraceMs,
      gcBatchSize: 500,
      autoprune: DEFAULT_AUTOPRUNE,
      quota: DEFAULT_QUOTA_WORKER,
      replication: { ...DEFAULT_REPLICATION, leaseMs: config.replicationLeaseMs },
      disabledTasks: disabledTasks(config),
    },
  };
}
