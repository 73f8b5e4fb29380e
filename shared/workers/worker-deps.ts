import type { GarbageStore } from '../ports/garbage-store.js';
import type { PruneStore } from '../ports/prune-store.js';
import type { QuotaStore } from '../ports/quota-store.js';
import type { RegistryDeps } from '../registry/registry-deps.js';
import type { AutopruneOptions } from './autoprune.js';
import type { MirrorDeps } from './mirror-sync.js';
import type { QuotaWorkerOptions } from './quota-worker.js';
import type { ReplicationDeps, ReplicationOptions } from './replication.js';
import type { NotificationDeps } from './notifications.js';

export interface WorkerOptions {
  /** Blobs pushed or linked this recently are never garbage-collected. */
  gcGraceMs: number;
  gcBatchSize: number;
  autoprune: AutopruneOptions;
  quota: QuotaWorkerOptions;
  replication: ReplicationOptions;
  /** Tasks switched off with their feature (FEATURE_QUOTA_MANAGEMENT, FEATURE_AUTO_PRUNE, FEATURE_REPO_MIRROR). */
  disabledTasks?: readonly string[];
}

/** What the scheduled workers and queued jobs run against: the registry and the housekeeping stores. */
export interface WorkerDeps {
  registry: RegistryDeps;
  garbage: GarbageStore;
  quota: QuotaStore;
  prune: PruneStore;
  /** Repository mirroring: its scheduler and the sync jobs it queues. */
  mirror: MirrorDeps;
  /** Geo-replication's copies between storage locations. */
  replication: ReplicationDeps;
  /** Notification deliveries, expiry announcements and event publishing. */
  notifications: NotificationDeps;
  options: WorkerOptions;
}
