import type { ReplicationNudge } from './replication-nudge.js';
import type { Clock } from '../ports/clock.js';
import type { Wakeups } from '../ports/wakeups.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { Sha256Engine } from '../ports/sha256.js';
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
  /**
   * How long a request's hold on an upload session lasts before it must be
   * renewed (it is, a third of the way in, while the request streams); a
   * process that dies lets its sessions go this long after.
   */
  uploadClaimMs: number;
  /**
   * Most rows one listing query may ask for: the Data API ends a call whose
   * result passes 1 MiB, and a page of 10,000 repository names can.
   */
  metadataRowsPerQuery: number;
  /**
   * Every registry event is published to an event bus: a push wakes the
   * notification worker, which publishes, even with no notification to send.
   */
  publishesEvents: boolean;
  /**
   * Whether a push creates a repository that does not exist. True for an
   * open registry. With access control, the access layer creates it (in its
   * namespace, with the creator's grant, audited) when it authorizes the
   * push; a repository deleted after that must not come back here as a bare
   * row that belongs to no namespace: the push meets NAME_UNKNOWN instead.
   */
  createsRepositories: boolean;
}

export const DEFAULT_REGISTRY_OPTIONS: RegistryOptions = {
  chunkMinLength: 5 * 1024 * 1024,
  deletionEnabled: true,
  redirectExpirySeconds: 300,
  timeMachineMs: 14 * 24 * 60 * 60 * 1000,
  uploadClaimMs: 60_000,
  metadataRowsPerQuery: Infinity,
  publishesEvents: false,
  createsRepositories: true,
};

export interface RegistryDeps {
  metadata: MetadataStore;
  storage: StorageLocations;
  /** Lookups remembered between requests; never the only copy of anything. */
  cache: ModelCache;
  clock: Clock;
  newId: () => string;
  /** Hashes uploads; a resumable engine lets any process continue any session. */
  sha256: Sha256Engine;
  options: RegistryOptions;
  /** Wakes the workers that copy a newly placed blob to other locations (geo-replication on AWS). */
  replicationNudge?: Pick<ReplicationNudge, 'poke'>;
  /** Wakes the notification worker when a write queued deliveries. */
  wakeups: Wakeups;
}
