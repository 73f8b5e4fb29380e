import { SqlImmutabilityStore } from '../../shared/adapters/sql/sql-immutability.js';
import { DEFAULT_REPLICATION } from '../../shared/workers/replication.js';
import type { ReplicationNudge } from '../../shared/registry/replication-nudge.js';
import { randomUUID } from 'node:crypto';
import type { WakeableTask, Wakeups } from '../../shared/ports/wakeups.js';
import { nodeSha256 } from '../../shared/adapters/hash/node-sha256.js';
import type { Sha256Engine } from '../../shared/ports/sha256.js';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely, KyselyPlugin, RootOperationNode } from 'kysely';
import { FsBlobStore } from '../../shared/adapters/blob/fs-blob-store.js';
import { MemoryBlobStore } from '../../shared/adapters/blob/memory-blob-store.js';
import { openEmbeddedDatabase } from '../../shared/adapters/sql/embedded-database.js';
import { openPostgresDatabase } from '../../shared/adapters/sql/postgres-database.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { SqlMetadataStore } from '../../shared/adapters/sql/sql-metadata-store.js';
import type {
  AccessOptions,
  AccessServices,
  AdminDeps,
} from '../../shared/access/access-services.js';
import { createAccessServices } from '../../shared/access/access-services.js';
import { createSqlIdentityStore } from '../../shared/adapters/sql/sql-identity-store.js';
import { SqlOAuthStore } from '../../shared/adapters/sql/sql-oauth-store.js';
import { SqlPruneStore } from '../../shared/adapters/sql/sql-prune-store.js';
import { SqlQuotaStore } from '../../shared/adapters/sql/sql-quota-store.js';
import { apiSurface } from '../../shared/http/api/api-surface.js';
import { createHttpApp, type Surface } from '../../shared/http/app.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { healthSurface } from '../../shared/http/health-surface.js';
import type { HttpApp } from '../../shared/http/http-env.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';
import type { Clock } from '../../shared/ports/clock.js';
import {
  DEFAULT_REGISTRY_OPTIONS,
  type RegistryOptions,
} from '../../shared/registry/registry-deps.js';
import { createRegistry, type Registry } from '../../shared/registry/registry.js';
import { StorageLocations } from '../../shared/registry/storage-locations.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';
import { workersFromConfig } from '../../functions/common/workers-from-config.js';
import { createScratchDatabase } from './postgres.js';
import { SqlJobQueue } from '../../shared/adapters/queue/sql-job-queue.js';
import { SqlReplicationStore } from '../../shared/adapters/sql/sql-replication-store.js';
import { SqlMirrorStore } from '../../shared/adapters/sql/sql-mirror-store.js';
import { CredentialBox } from '../../shared/access/credential-box.js';
import type { MirrorOptions } from '../../shared/workers/mirror-sync.js';
import { credentialKeyFrom } from '../../functions/common/access-from-config.js';
import { AddressGuard } from '../../shared/adapters/upstream/address-guard.js';
import { MemoryCache } from '../../shared/adapters/cache/memory-cache.js';
import type { Cache } from '../../shared/ports/cache.js';
import { ModelCache } from '../../shared/registry/model-cache.js';
import { SqlNotificationStore } from '../../shared/adapters/sql/sql-notification-store.js';
import { SqlInboxStore } from '../../shared/adapters/sql/sql-inbox-store.js';
import { SqlAuthorizedEmails } from '../../shared/adapters/sql/sql-authorized-emails.js';
import type { Mailer } from '../../shared/ports/notification-transport.js';
import type { EventPublisher } from '../../shared/ports/event-outbox.js';
import type { PublicAddress } from '../../shared/notifications/event-data.js';

/** A clock tests move by hand. */
export class FixedClock implements Clock {
  constructor(public ms = Date.UTC(2026, 0, 1)) {}
  now() {
    return this.ms;
  }
  advance(ms: number) {
    this.ms += ms;
  }
}

/** Wakeups a test can see: every task asked for, and when. */
export class RecordingWakeups implements Wakeups {
  readonly calls: { task: WakeableTask; atMs: number }[] = [];
  async wakeAt(task: WakeableTask, atMs: number): Promise<void> {
    this.calls.push({ task, atMs });
  }
}

export interface TestRegistry {
  app: HttpApp;
  /** What the registry asked to be woken for. */
  wakeups: RecordingWakeups;
  registry: Registry;
  access: AccessServices;
  /** The scheduled workers' dependencies, for tests that run a worker by hand. */
  workers: WorkerDeps;
  /** The job queue the mirror scheduler fills; tests receive from it by hand. */
  queue: SqlJobQueue;
  db: Kysely<Database>;
  clock: FixedClock;
  stores: Map<string, BlobStore>;
  close(): Promise<void>;
}

export interface TestRegistryOptions {
  storage?: 'memory' | 'fs';
  options?: Partial<RegistryOptions>;
  /** Extra storage locations beyond the preferred `local`. */
  extraLocations?: string[];
  /** A store of the test's own for the `local` location (an S3 store, say). */
  localStore?: BlobStore;
  /**
   * Access control. Protocol tests run an open registry (as CNCF
   * distribution without auth); access tests turn accounts on.
   */
  access?: Partial<AccessOptions>;
  /** A PostgreSQL server to run on (a scratch database on it) instead of embedded Postgres. */
  postgresUrl?: string;
  /** Garbage collection's grace period for fresh blobs (default an hour). */
  gcGraceMs?: number;
  /** Mirroring: allowed internal upstream hosts (default loopback, where test upstreams run) and worker options. */
  mirror?: { allowedHosts?: string[]; options?: Partial<MirrorOptions> };
  /** The model cache's store (default: this process's memory, on the test clock). */
  cache?: Cache;
  /** Sees the syntax tree of every query the registry sends, as it goes out. */
  onQuery?: (node: RootOperationNode) => void;
  /** The upload hash engine (default: the native one, kept in memory). */
  sha256?: Sha256Engine;
  /**
   * Another registry whose database, storage and clock this one shares: two
   * servers of one registry, as the data plane's tasks are.
   */
  shareWith?: TestRegistry;
  /**
   * Where the test clock starts (default 2026-01-01). Tests that compare it
   * with the file system's modification times start it at the real time.
   */
  clockStartMs?: number;
  /** Geo-replication: the locations every blob is copied to. */
  replicateTo?: string[];
  /** Wakes replication workers after a push, as the AWS data plane does. */
  replicationNudge?: ReplicationNudge;
  /** The locations this registry may write (default: all). */
  writableLocations?: string[];
  /** FEATURE_IMMUTABLE_TAGS_CAN_EXPIRE. */
  immutableTagsCanExpire?: boolean;
  /** Stands a test's own store in front of a location's (one that fails, or stalls). */
  wrapStore?: (name: string, store: BlobStore) => BlobStore;
  /** Surfaces served after the registry's own (the web console, say). */
  extraSurfaces?: Surface[];
  /** How notifications leave: a mailer, an event bus, the registry's address, timings. */
  notify?: {
    mailer?: Mailer | null;
    publisher?: EventPublisher | null;
    address?: PublicAddress | null;
    sendTimeoutMs?: number;
    firstRetryMs?: number;
  };
}

export const TEST_TOKEN_KEY = new Uint8Array(32).fill(7);
/** The connection peer an in-process request stands for. */
export const TEST_PEER_HEADER = 'x-test-peer';
export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters-long';

/** A whole registry in this process: embedded Postgres in memory and the chosen blob store. */
export async function startTestRegistry(opts: TestRegistryOptions = {}): Promise<TestRegistry> {
  const shared = opts.shareWith;
  const scratch =
    !shared && opts.postgresUrl ? await createScratchDatabase(opts.postgresUrl) : null;
  const opened =
    shared?.db ??
    (scratch ? await openPostgresDatabase(scratch.url) : await openEmbeddedDatabase(null));
  const db = opts.onQuery ? opened.withPlugin(queryWatcher(opts.onQuery)) : opened;
  const dir = !shared && opts.storage === 'fs' ? await mkdtemp(join(tmpdir(), 'berth-fs-')) : null;
  const makeStore = (name: string): BlobStore =>
    dir ? new FsBlobStore(join(dir, name)) : new MemoryBlobStore();
  const names = shared ? [...shared.stores.keys()] : ['local', ...(opts.extraLocations ?? [])];
  const stores =
    shared?.stores ??
    new Map(
      names.map((n) => {
        const store = n === 'local' && opts.localStore ? opts.localStore : makeStore(n);
        return [n, opts.wrapStore ? opts.wrapStore(n, store) : store];
      }),
    );
  const clock = shared?.clock ?? new FixedClock(opts.clockStartMs);
  const immutability = {
    enabled: opts.access?.immutableTags ?? true,
    canExpire: opts.immutableTagsCanExpire ?? false,
  };
  const wakeups = new RecordingWakeups();
  const registry = createRegistry({
    metadata: new SqlMetadataStore(db, {
      replicateTo: opts.replicateTo ?? [],
      enforceQuotas: opts.access?.quotaEnabled ?? true,
      immutability,
    }),
    cache: new ModelCache(opts.cache ?? new MemoryCache(10_000, clock)),
    storage: new StorageLocations(stores, names, undefined, opts.writableLocations),
    clock,
    newId: randomUUID,
    sha256: opts.sha256 ?? nodeSha256,
    ...(opts.replicationNudge ? { replicationNudge: opts.replicationNudge } : {}),
    wakeups,
    options: {
      ...DEFAULT_REGISTRY_OPTIONS,
      // As the runtimes wire it: with access control, only the access layer creates repositories.
      createsRepositories: !(opts.access?.enabled ?? false),
      ...opts.options,
    },
  });
  const allowedHosts = opts.mirror?.allowedHosts ?? ['127.0.0.0/8', 'localhost'];
  const guard = new AddressGuard(allowedHosts);
  const mailer = opts.notify?.mailer ?? null;
  const access = createAccessServices(
    {
      store: createSqlIdentityStore(db),
      oauth: new SqlOAuthStore(db),
      quota: new SqlQuotaStore(db, opts.access?.quotaEnabled ?? true),
      clock,
      newId: randomUUID,
      tokenKey: TEST_TOKEN_KEY,
      options: {
        enabled: false,
        superusers: ['admin'],
        superusersFullAccess: false,
        userInitialize: false,
        tokenService: 'berth.test',
        tokenExpirySeconds: 300,
        maxFailedLogins: 5,
        replicateTo: opts.replicateTo ?? [],
        ...opts.access,
      },
    },
    registry.listings,
  );
  const admin: AdminDeps = {
    prune: new SqlPruneStore(db, immutability),
    immutability: new SqlImmutabilityStore(db, immutability),
    mirrors: new SqlMirrorStore(db),
    replication: new SqlReplicationStore(db),
    notifications: new SqlNotificationStore(db),
    inbox: new SqlInboxStore(db),
    authorizedEmails: new SqlAuthorizedEmails(db),
    mailer,
    outbound: guard,
    upstream: guard,
    credentials: new CredentialBox(credentialKeyFrom(TEST_SECRET)),
    wakeups,
  };
  const silent = () => undefined;
  const queue = new SqlJobQueue(db, clock);
  return {
    app: createHttpApp({
      registry,
      access,
      logUnknownError: silent,
      // In-process requests have no socket: a test names the peer it plays.
      clientAddress: { peer: (c) => c.req.header(TEST_PEER_HEADER) },
      surfaces: [v2Surface, healthSurface, apiSurface(admin), ...(opts.extraSurfaces ?? [])],
    }),
    wakeups,
    registry,
    access,
    workers: workersFromConfig(
      {
        gcGraceMs: opts.gcGraceMs ?? 3_600_000,
        replicateTo: opts.replicateTo ?? [],
        replicationLeaseMs: DEFAULT_REPLICATION.leaseMs,
        quotaManagement: opts.access?.quotaEnabled ?? true,
        autoprune: opts.access?.autopruneEnabled ?? true,
        immutability,
        mirror: {
          enabled: true,
          rollback: false,
          localWorkers: 1,
          jobQueueUrl: undefined,
        },
        outboundAllowedHosts: allowedHosts,
        notifications: {
          sendTimeoutMs: opts.notify?.sendTimeoutMs ?? 10_000,
          firstRetryMs: opts.notify?.firstRetryMs ?? 30_000,
          eventBusName: undefined,
        },
      },
      db,
      registry,
      {
        secret: TEST_SECRET,
        queue,
        mirrorOptions: opts.mirror?.options ?? {},
        wakeups,
        notify: {
          mailer,
          publisher: opts.notify?.publisher ?? null,
          address: () =>
            opts.notify?.address === undefined
              ? { scheme: 'https', host: 'registry.test' }
              : opts.notify.address,
        },
      },
    ),
    queue,
    db,
    clock,
    stores,
    close: async () => {
      await access.audit.flush();
      if (shared) return;
      await db.destroy();
      await scratch?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Upload sessions that still have bytes staged in a test store (memory or filesystem). */
export async function stagedUploads(store: BlobStore): Promise<string[]> {
  if (store instanceof MemoryBlobStore) return store.stagedUploads();
  if (store instanceof FsBlobStore) return readdir(join(store.root, 'uploads')).catch(() => []);
  throw new Error('only memory and filesystem stores can be inspected');
}

/** Fails loudly in CI, where no test tier may skip itself; elsewhere, says whether to skip. */
export function skipUnlessAvailable(available: boolean, what: string): boolean {
  if (available) return false;
  if (process.env.CI === 'true') throw new Error(`${what} is required in CI but is not available`);
  return true;
}

function queryWatcher(onQuery: (node: RootOperationNode) => void): KyselyPlugin {
  return {
    transformQuery: ({ node }) => {
      onQuery(node);
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  };
}
