import { consoleSurface, findConsoleDir } from './console-surface.js';
import { blobStoresFor } from '../common/blob-stores.js';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { openEmbeddedDatabase } from '../../shared/adapters/sql/embedded-database.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import type { BerthConfig } from '../../shared/config/config.js';
import { apiSurface } from '../../shared/http/api/api-surface.js';
import { createHttpApp } from '../../shared/http/app.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { healthSurface } from '../../shared/http/health-surface.js';
import type { HttpApp } from '../../shared/http/http-env.js';
import type { Registry } from '../../shared/registry/registry.js';
import type { AccessServices } from '../../shared/access/access-services.js';
import { UserService } from '../../shared/access/users.js';
import { accessFromConfig } from '../common/access-from-config.js';
import { adminFromConfig } from '../common/admin-from-config.js';
import { registryFromConfig } from '../common/registry-from-config.js';
import { loadOrCreateSecret } from './secret-key.js';
import { lockDataDir } from './data-dir-lock.js';
import { nodeBodyReader } from '../common/node-body-reader.js';
import { nodePeerAddress } from '../common/node-peer.js';
import { localWakeups, startTaskTimers } from './task-timers.js';
import { startJobConsumers } from './job-consumers.js';
import { SqlJobQueue } from '../../shared/adapters/queue/sql-job-queue.js';
import { disabledTasks, workersFromConfig } from '../common/workers-from-config.js';
import { cacheFromConfig } from '../common/cache-from-config.js';
import { publicAddressFromConfig } from '../common/notifications-from-config.js';
import { mailerFromConfig } from '../common/mail-from-config.js';
import type { PublicAddress } from '../../shared/notifications/event-data.js';
import { nodeSha256 } from '../../shared/adapters/hash/node-sha256.js';

/** The longest an idle job consumer waits before looking at the queue again. */
const IDLE_QUEUE_POLL_MAX_MS = 15_000;

export interface LocalRegistry {
  app: HttpApp;
  registry: Registry;
  access: AccessServices;
  db: Kysely<Database>;
  /** Set when this start created the first superuser with a generated password. */
  bootstrap: { user: string; generatedPassword?: string } | undefined;
  /** FEATURE_USER_INITIALIZE is on and nobody has been created yet. */
  awaitingInitialization: boolean;
  /** Which database is in use, for the start-up banner. */
  databaseKind: 'embedded' | 'postgres';
  /** Tells the registry the URL it listens at. */
  listening(url: string): void;
  close(): Promise<void>;
}

/** Chooses and builds the local adapters from configuration; the only place that does. */
export async function buildLocalRegistry(config: BerthConfig): Promise<LocalRegistry> {
  const databaseKind = config.databaseUrl ? 'postgres' : 'embedded';
  const unlock = databaseKind === 'embedded' ? await lockDataDir(config.dataDir) : async () => {};
  // A driver the configuration does not choose is never loaded.
  const db = config.databaseUrl
    ? await (
        await import('../../shared/adapters/sql/postgres-database.js')
      ).openPostgresDatabase(config.databaseUrl)
    : await openEmbeddedDatabase(join(config.dataDir, 'pgdata'));
  const cache = await cacheFromConfig(config.cache);
  // Servers sharing a database may each take part of one upload session, so
  // its hash state travels with the session; alone, the native hash is faster.
  const sha256 =
    databaseKind === 'postgres'
      ? await (await import('../../shared/adapters/hash/wasm-sha256.js')).createWasmSha256()
      : nodeSha256;
  const wakeups = localWakeups();
  // Where this server listens, once it does: the host in event URLs without SERVER_HOSTNAME.
  let listeningAt: PublicAddress | null = null;
  const registry = registryFromConfig(config, db, {
    cache,
    sha256,
    storeFor: await blobStoresFor(config.storage.locations),
    wakeups,
  });
  const secret = await loadOrCreateSecret(config.dataDir, config.access.secretKey);
  const mailer = mailerFromConfig(config);
  const access = accessFromConfig(config, db, registry, secret, 'server');
  const admin = adminFromConfig(config, db, secret, { wakeups, mailer });
  const created = await new UserService(access).bootstrap(
    config.access.bootstrapUser,
    config.access.bootstrapPassword,
  );
  // Consumers sleep long when the queue is empty; a job sent here wakes them when it is due.
  let wakeConsumers = () => {};
  const queue = new SqlJobQueue(db, registry.deps.clock, 'work', (visibleInMs) => {
    if (visibleInMs <= 0) return wakeConsumers();
    setTimeout(() => wakeConsumers(), visibleInMs).unref();
  });
  const workers = workersFromConfig(config, db, registry, {
    secret,
    queue,
    wakeups,
    notify: {
      mailer,
      publisher: null,
      address: () => publicAddressFromConfig(config, listeningAt),
    },
  });
  const mirrorInterval = config.taskIntervalsMs['mirror-schedule'];
  const off = disabledTasks(config);
  const timers = startTaskTimers(
    workers,
    Object.fromEntries(
      Object.entries(config.taskIntervalsMs).filter(([task]) => !off.includes(task)),
    ) as Partial<typeof config.taskIntervalsMs>,
    (run) => {
      if (run.error) console.error(`[berth] task ${run.task} failed:`, run.error);
      else if (run.handled) console.log(`[berth] task ${run.task}: ${run.handled} handled`);
    },
  );
  wakeups.bind(timers);
  // Deliveries a previous run recorded but did not send (it stopped, or crashed) go out now.
  timers.wake('notifications', Date.now());

  const consumers = startJobConsumers(
    workers,
    queue,
    {
      concurrency: config.mirror.localWorkers,
      visibilityMs: workers.mirror.options.leaseMs,
      idlePollMs: Math.min(1000, mirrorInterval),
      maxIdlePollMs: Math.min(IDLE_QUEUE_POLL_MAX_MS, mirrorInterval),
    },
    ({ result, error }) => {
      if (error) console.error('[berth] job failed:', error);
      else if (result?.kind === 'finished') {
        console.log(
          `[berth] mirror sync ${result.outcome.status}: ${result.copied.length} copied, ${result.removed.length} removed`,
        );
      }
    },
  );
  wakeConsumers = consumers.wake;
  return {
    app: createHttpApp({
      registry,
      access,
      publicUrl: config.access.publicUrl,
      readBody: nodeBodyReader,
      clientAddress: { peer: nodePeerAddress, trustedProxies: config.edge.trustedProxies },
      // One process serves everything locally, the web console last: it answers what no other route does.
      surfaces: [
        v2Surface,
        healthSurface,
        apiSurface(admin),
        consoleSurface(findConsoleDir(config.consoleDir)),
      ],
    }),
    registry,
    access,
    awaitingInitialization:
      config.access.enabled &&
      config.access.userInitialize &&
      (await access.deps.store.countAccounts('user')) === 0,
    bootstrap: created.created
      ? {
          user: config.access.bootstrapUser,
          ...(created.generatedPassword ? { generatedPassword: created.generatedPassword } : {}),
        }
      : undefined,
    db,
    databaseKind,
    listening: (url) => {
      const parsed = new URL(url);
      listeningAt = { scheme: parsed.protocol.replace(/:$/, ''), host: parsed.host };
    },
    close: async () => {
      timers.stop();
      await consumers.stop();
      // A database that is gone must not keep the process from stopping.
      await access.audit.flush().catch((error: unknown) => {
        console.error(`[berth] ${access.audit.unwritten} audit entries not written:`, error);
      });
      await db.destroy();
      await cache.close();
      await unlock();
    },
  };
}
