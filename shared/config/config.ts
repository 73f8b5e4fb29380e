import {
  _default,
  array,
  boolean as booleanSchema,
  config as configureZod,
  enum as oneOf,
  optional,
  pipe,
  record,
  safeParse,
  startsWith,
  strictObject,
  string,
  transform,
  union,
  minLength,
  regex,
  url,
} from 'zod/mini';
import english from 'zod/v4/locales/en.js';
import { DURATION, parseDuration } from '../registry/durations.js';
import type { PeriodicTaskName } from '../workers/scheduled-tasks.js';
import { integer } from './schema-helpers.js';
import {
  storageConfigSchema,
  storageLocations,
  type StorageConfigInput,
  type StorageLocationConfig,
} from './storage-config.js';

export type { StorageLocationConfig };

// zod/mini with named imports keeps the Lambda bundles small; its messages
// come from the English locale, loaded once here.
configureZod(english());

/**
 * Berth's configuration. Every key may be set in `config.yaml` or as an
 * environment variable of the same name (JSON for structured values); the
 * environment wins. Keys follow Quay's `config.yaml` where Quay has one.
 */

const boolean = union(
  [
    booleanSchema(),
    pipe(
      oneOf(['true', 'false']),
      transform((v) => v === 'true'),
    ),
  ],
  { error: 'expected true or false' },
);

const duration = string().check(regex(DURATION, { message: 'a duration such as 60s or 5m' }));

/** Quay's model cache settings; `memcached` and `rediscluster` are not offered. */
const modelCacheSchema = strictObject({
  engine: _default(oneOf(['inmemory', 'redis', 'noop']), 'inmemory'),
  redis_config: optional(
    strictObject({
      primary: strictObject({
        host: string().check(minLength(1)),
        port: _default(integer({ min: 1, max: 65535 }), 6379),
        password: optional(string()),
        ssl: _default(boolean, false),
      }),
      /** Berth's: keeps registries that share one Redis apart. */
      key_prefix: _default(string(), 'berth:'),
    }),
  ),
  repository_blob_cache_ttl: _default(duration, '60s'),
});

const schema = strictObject({
  BERTH_HOST: _default(string(), '0.0.0.0'),
  BERTH_PORT: _default(integer({ min: 0, max: 65535 }), 5000),
  BERTH_DATA_DIR: _default(string(), './data'),
  BERTH_CONSOLE_DIR: optional(string().check(minLength(1))),
  DB_URI: optional(url()),
  BERTH_DB_CLUSTER_ARN: optional(string().check(startsWith('arn:'))),
  BERTH_DB_SECRET_ARN: optional(string().check(startsWith('arn:'))),
  BERTH_DB_NAME: _default(string(), 'berth'),
  BERTH_DB_RESUME_WAIT_SECONDS: _default(integer({ min: 0, max: 900 }), 60),
  DISTRIBUTED_STORAGE_CONFIG: optional(storageConfigSchema),
  DISTRIBUTED_STORAGE_PREFERENCE: optional(array(string())),
  BERTH_WRITABLE_LOCATIONS: optional(array(string())),
  FEATURE_STORAGE_REPLICATION: _default(boolean, false),
  DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: _default(array(string()), []),
  BERTH_REPLICATION_INTERVAL_SECONDS: _default(integer({ min: 1 }), 5),
  /** How long a worker's claim on a copy holds; a worker that died mid-copy is taken over after it. */
  BERTH_REPLICATION_LEASE_SECONDS: _default(integer({ min: 1, max: 43_200 }), 900),
  /** On AWS: each location's replication job queue, woken after a push places a blob. */
  BERTH_REPLICATION_QUEUES: _default(record(string(), string().check(startsWith('https://'))), {}),
  BERTH_STORAGE_PROBE_SECONDS: _default(integer({ min: 0, max: 3600 }), 10),
  BERTH_CHUNK_MIN_LENGTH: _default(integer({ min: 0 }), 5 * 1024 * 1024),
  BERTH_DELETION_ENABLED: _default(boolean, true),
  FEATURE_PROXY_STORAGE: _default(boolean, false),
  BERTH_ABANDONED_UPLOADS_INTERVAL_SECONDS: _default(integer({ min: 1 }), 3600),
  BERTH_AUTOPRUNE_INTERVAL_SECONDS: _default(integer({ min: 1 }), 30),
  BERTH_QUOTA_BACKFILL_INTERVAL_SECONDS: _default(integer({ min: 1 }), 60),
  BERTH_GC_INTERVAL_SECONDS: _default(integer({ min: 1 }), 300),
  BERTH_GC_GRACE_SECONDS: _default(integer({ min: 0 }), 3600),
  FEATURE_REPO_MIRROR: _default(boolean, true),
  FEATURE_QUOTA_MANAGEMENT: _default(boolean, true),
  FEATURE_AUTO_PRUNE: _default(boolean, true),
  FEATURE_IMMUTABLE_TAGS: _default(boolean, true),
  FEATURE_IMMUTABLE_TAGS_CAN_EXPIRE: _default(boolean, false),
  REPO_MIRROR_INTERVAL: _default(integer({ min: 1 }), 30),
  REPO_MIRROR_ROLLBACK: _default(boolean, false),
  BERTH_OUTBOUND_ALLOWED_HOSTS: _default(array(string()), []),
  /** The mirror-only name of BERTH_OUTBOUND_ALLOWED_HOSTS, from before notifications; both count. */
  BERTH_MIRROR_ALLOWED_HOSTS: _default(array(string()), []),
  BERTH_MIRROR_WORKERS: _default(integer({ min: 1, max: 64 }), 4),
  BERTH_JOB_QUEUE_URL: optional(string().check(startsWith('https://'))),
  BERTH_JOB_QUEUE_ARN: optional(string().check(startsWith('arn:'))),
  BERTH_JOB_DEAD_LETTER_ARN: optional(string().check(startsWith('arn:'))),
  BERTH_WAKEUP_ROLE_ARN: optional(string().check(startsWith('arn:'))),
  BERTH_WAKEUP_NAME_PREFIX: optional(string().check(regex(/^[a-zA-Z0-9_.-]{1,40}$/))),
  NOTIFICATION_SEND_TIMEOUT: _default(integer({ min: 1, max: 60 }), 10),
  BERTH_NOTIFICATION_RETRY_SECONDS: _default(integer({ min: 1, max: 3600 }), 30),
  BERTH_NOTIFICATION_INTERVAL_SECONDS: _default(integer({ min: 1 }), 60),
  BERTH_NOTIFICATION_UPKEEP_INTERVAL_SECONDS: _default(integer({ min: 1 }), 600),
  BERTH_EVENT_BUS_NAME: optional(string().check(regex(/^[A-Za-z0-9._\-/:]{1,1600}$/))),
  FEATURE_MAILING: _default(boolean, true),
  MAIL_SERVER: _default(string(), ''),
  MAIL_PORT: _default(integer({ min: 1, max: 65535 }), 587),
  MAIL_USE_TLS: _default(boolean, true),
  MAIL_USERNAME: optional(string()),
  MAIL_PASSWORD: optional(string()),
  MAIL_DEFAULT_SENDER: _default(string().check(minLength(3)), 'admin@example.com'),
  DEFAULT_TAG_EXPIRATION: _default(duration, '2w'),
  TAG_EXPIRATION_OPTIONS: _default(array(duration), ['0s', '1d', '1w', '2w', '4w']),
  BERTH_ACCESS_CONTROL: _default(boolean, true),
  SUPER_USERS: _default(array(string()), []),
  BERTH_SUPERUSER: _default(string(), 'admin'),
  BERTH_SUPERUSER_PASSWORD: optional(string().check(minLength(8))),
  BERTH_SUPERUSER_PASSWORD_ARN: optional(string().check(startsWith('arn:'))),
  FEATURE_SUPERUSERS_FULL_ACCESS: _default(boolean, false),
  FEATURE_USER_INITIALIZE: _default(boolean, false),
  SERVER_HOSTNAME: optional(string().check(minLength(1))),
  BERTH_VIEWER_HOST_HEADER: optional(string().check(regex(/^[a-z0-9-]+$/))),
  BERTH_CLIENT_ADDRESS_HEADER: optional(string().check(regex(/^[a-z0-9-]+$/))),
  BERTH_TRUSTED_PROXIES: _default(array(string().check(regex(/^[0-9a-fA-F.:]+(\/\d{1,3})?$/))), []),
  BERTH_ORIGIN_SECRET_ARN: optional(string().check(startsWith('arn:'))),
  PREFERRED_URL_SCHEME: _default(oneOf(['http', 'https']), 'http'),
  BERTH_TOKEN_EXPIRY_SECONDS: _default(integer({ min: 30, max: 86400 }), 300),
  BERTH_MAX_FAILED_LOGINS: _default(integer({ min: 1 }), 5),
  PERMANENT_SESSION_LIFETIME: _default(integer({ min: 60 }), 2_678_400),
  BERTH_AUDIT_BATCH_MS: _default(integer({ min: 0, max: 10_000 }), 250),
  BERTH_SECRET_KEY: optional(string().check(minLength(32))),
  BERTH_SECRET_KEY_ARN: optional(string().check(startsWith('arn:'))),
  DATA_MODEL_CACHE_CONFIG: _default(modelCacheSchema, {
    engine: 'inmemory',
    repository_blob_cache_ttl: '60s',
  }),
});

export interface BerthConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Where the built web console is (`npm run build:console`); found beside the code when unset. */
  consoleDir: string | undefined;
  /** Postgres to use instead of the embedded one. */
  databaseUrl: string | undefined;
  /** Aurora through the RDS Data API, when deployed on AWS. */
  dataApi: DataApiConfig | undefined;
  storage: {
    locations: StorageLocationConfig[];
    preference: string[];
    /** A location's health older than this is probed again before it is relied on. */
    probeIntervalMs: number;
    /** The locations this server may write; every preferred one when unset. */
    writable: string[] | undefined;
  };
  /**
   * Geo-replication (`FEATURE_STORAGE_REPLICATION`): the locations every
   * blob is copied to (`DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS`); none when off.
   */
  replicateTo: string[];
  /** Each location's replication job queue (AWS), by location name. */
  replicationQueues: Record<string, string>;
  replicationLeaseMs: number;
  chunkMinLength: number;
  deletionEnabled: boolean;
  /** How long deleted and moved tags stay restorable (Quay's DEFAULT_TAG_EXPIRATION). */
  timeMachineMs: number;
  /** The windows a namespace may choose (Quay's TAG_EXPIRATION_OPTIONS), in seconds. */
  tagExpirationOptionsS: number[];
  /** Serve blob bytes through the registry instead of redirecting to storage (Quay's key). */
  proxyStorage: boolean;
  /** Quay's FEATURE_QUOTA_MANAGEMENT: quotas enforced, their API, the sizes shown, their backfill. */
  quotaManagement: boolean;
  /** Quay's FEATURE_AUTO_PRUNE: auto-prune policies, their API and worker. */
  autoprune: boolean;
  /** Quay's FEATURE_IMMUTABLE_TAGS and FEATURE_IMMUTABLE_TAGS_CAN_EXPIRE. */
  immutability: { enabled: boolean; canExpire: boolean };
  /** How often each scheduled task runs: timers locally, EventBridge schedules on AWS. */
  taskIntervalsMs: Record<PeriodicTaskName, number>;
  /** Blobs pushed or linked this recently are never garbage-collected. */
  gcGraceMs: number;
  mirror: MirrorConfig;
  /**
   * Hosts, addresses and CIDR ranges outbound calls (mirrors, webhooks) may
   * reach although internal (`BERTH_OUTBOUND_ALLOWED_HOSTS`, and the older
   * `BERTH_MIRROR_ALLOWED_HOSTS`); see `address-guard.ts`.
   */
  outboundAllowedHosts: string[];
  notifications: NotificationConfig;
  mail: MailConfig;
  access: AccessConfig;
  cache: CacheConfig;
  edge: EdgeConfig;
  wakeups: WakeupConfig | undefined;
}

export interface DataApiConfig {
  resourceArn: string;
  secretArn: string;
  database: string;
  /** How long a call waits for a paused cluster to resume before the request gets 503. */
  resumeWaitMs: number;
}

/** How a function behind the one front door (CloudFront) knows its requests came through it. */
export interface EdgeConfig {
  /** The header the front door writes the viewer's host into (token realms name that host). */
  viewerHostHeader: string | undefined;
  /** The header the front door writes the viewer's address into (login throttling, audit). */
  clientAddressHeader: string | undefined;
  /** Proxies whose `X-Forwarded-For` is believed about the client's address; none by default. */
  trustedProxies: string[];
  /** The secret the front door sends with every request to a function URL, when one is checked. */
  originSecretArn: string | undefined;
}

/** Quay's DATA_MODEL_CACHE_CONFIG: where lookups are remembered between requests. */
export interface CacheConfig {
  /** `inmemory`: each process its own; `redis`: shared by every process; `noop`: none. */
  engine: 'inmemory' | 'redis' | 'noop';
  redis:
    | { host: string; port: number; password: string | undefined; tls: boolean; keyPrefix: string }
    | undefined;
  repositoryBlobTtlMs: number;
}

export interface MirrorConfig {
  /** Quay's FEATURE_REPO_MIRROR: the mirror API and its workers. */
  enabled: boolean;
  /** Quay's REPO_MIRROR_ROLLBACK: a failed sync puts the tags back; else best effort. */
  rollback: boolean;
  /** How many sync jobs the local server runs at once. */
  localWorkers: number;
  /** On AWS: the SQS queue that carries sync jobs to the job worker. */
  jobQueueUrl: string | undefined;
}

export interface NotificationConfig {
  /** Quay's NOTIFICATION_SEND_TIMEOUT: how long a webhook may take to answer. */
  sendTimeoutMs: number;
  /** The first retry of a failed delivery (then doubling); Quay waits 30 s. */
  firstRetryMs: number;
  /** The EventBridge bus every registry event is published to; none when unset. */
  eventBusName: string | undefined;
}

/** Quay's mail keys; `MAIL_USE_TLS` asks for STARTTLS, port 465 speaks TLS from the start. */
export interface MailConfig {
  /** FEATURE_MAILING: e-mail notifications and address confirmations. */
  enabled: boolean;
  /** The SMTP server; empty on AWS means SES, elsewhere no e-mail. */
  server: string;
  port: number;
  useTls: boolean;
  username: string | undefined;
  password: string | undefined;
  sender: string;
}

/** On AWS: one-off EventBridge Scheduler schedules that put a task on the job queue when due. */
export interface WakeupConfig {
  namePrefix: string;
  roleArn: string;
  queueArn: string;
  deadLetterArn: string | undefined;
}

export interface AccessConfig {
  /** False: an open registry without accounts, for a trusted machine only. */
  enabled: boolean;
  /** SUPER_USERS plus the bootstrap superuser. */
  superusers: string[];
  bootstrapUser: string;
  bootstrapPassword: string | undefined;
  /** On AWS: the Secrets Manager secret holding the first superuser's password. */
  bootstrapPasswordArn: string | undefined;
  superusersFullAccess: boolean;
  userInitialize: boolean;
  /** `scheme://SERVER_HOSTNAME`, when the hostname is configured. */
  publicUrl: string | undefined;
  tokenService: string;
  tokenExpirySeconds: number;
  maxFailedLogins: number;
  /** How long a web console session lasts (Quay's PERMANENT_SESSION_LIFETIME, 31 days). */
  sessionLifetimeS: number;
  /** Long-running servers write push and pull log entries in batches this far apart. */
  auditBatchMs: number;
  /** The secret tokens are signed with; from a file in the data dir when unset. */
  secretKey: string | undefined;
  /** On AWS: the Secrets Manager secret holding the key. */
  secretKeyArn: string | undefined;
}

const STRUCTURED_KEYS = new Set([
  'BERTH_REPLICATION_QUEUES',
  'DISTRIBUTED_STORAGE_CONFIG',
  'DISTRIBUTED_STORAGE_PREFERENCE',
  'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS',
  'BERTH_WRITABLE_LOCATIONS',
  'SUPER_USERS',
  'BERTH_MIRROR_ALLOWED_HOSTS',
  'BERTH_OUTBOUND_ALLOWED_HOSTS',
  'BERTH_TRUSTED_PROXIES',
  'DATA_MODEL_CACHE_CONFIG',
]);
/** Lists that the environment may also give comma-separated. */
const LIST_KEYS = new Set([
  'DISTRIBUTED_STORAGE_PREFERENCE',
  'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS',
  'BERTH_WRITABLE_LOCATIONS',
  'SUPER_USERS',
  'BERTH_MIRROR_ALLOWED_HOSTS',
  'BERTH_OUTBOUND_ALLOWED_HOSTS',
  'BERTH_TRUSTED_PROXIES',
]);

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function fromEnvironment(env: Record<string, string | undefined>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const raw = key === 'DB_URI' ? (env.DB_URI ?? env.DATABASE_URL) : env[key];
    if (raw === undefined || raw === '') continue;
    if (!STRUCTURED_KEYS.has(key)) {
      values[key] = raw;
    } else if (LIST_KEYS.has(key) && !raw.trim().startsWith('[')) {
      values[key] = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    } else {
      try {
        values[key] = JSON.parse(raw);
      } catch {
        throw new ConfigError(`${key} must be JSON`);
      }
    }
  }
  return values;
}

/** Parses configuration from the environment and the keys of an optional `config.yaml`. */
export function loadConfig(
  env: Record<string, string | undefined>,
  fromFile: Record<string, unknown> = {},
): BerthConfig {
  const result = safeParse(schema, { ...fromFile, ...fromEnvironment(env) });
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${i.path.join('.') || '(root)'}: ${i.message}`,
    );
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const c = result.data;
  const storageConfig: StorageConfigInput = c.DISTRIBUTED_STORAGE_CONFIG ?? {
    local: ['LocalStorage', { storage_path: `${c.BERTH_DATA_DIR}/blobs` }],
  };
  const locations = storageLocations(storageConfig);
  const preference = c.DISTRIBUTED_STORAGE_PREFERENCE ?? locations.map((l) => l.name);
  for (const name of preference) {
    if (!storageConfig[name]) {
      throw new ConfigError(
        `DISTRIBUTED_STORAGE_PREFERENCE names ${name}, which DISTRIBUTED_STORAGE_CONFIG lacks`,
      );
    }
  }
  if (preference.length === 0) throw new ConfigError('DISTRIBUTED_STORAGE_PREFERENCE is empty');
  const writable = c.BERTH_WRITABLE_LOCATIONS;
  if (writable && !preference.some((name) => writable.includes(name))) {
    throw new ConfigError(
      'BERTH_WRITABLE_LOCATIONS names no location of DISTRIBUTED_STORAGE_PREFERENCE',
    );
  }
  for (const name of c.DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS) {
    if (!storageConfig[name]) {
      throw new ConfigError(
        `DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS names ${name}, which DISTRIBUTED_STORAGE_CONFIG lacks`,
      );
    }
  }
  const cache = c.DATA_MODEL_CACHE_CONFIG;
  if (cache.engine === 'redis' && !cache.redis_config) {
    throw new ConfigError('DATA_MODEL_CACHE_CONFIG: engine redis needs redis_config.primary.host');
  }
  if (Boolean(c.BERTH_DB_CLUSTER_ARN) !== Boolean(c.BERTH_DB_SECRET_ARN)) {
    throw new ConfigError('BERTH_DB_CLUSTER_ARN and BERTH_DB_SECRET_ARN go together');
  }
  return {
    host: c.BERTH_HOST,
    port: c.BERTH_PORT,
    dataDir: c.BERTH_DATA_DIR,
    consoleDir: c.BERTH_CONSOLE_DIR,
    databaseUrl: c.DB_URI,
    dataApi:
      c.BERTH_DB_CLUSTER_ARN && c.BERTH_DB_SECRET_ARN
        ? {
            resourceArn: c.BERTH_DB_CLUSTER_ARN,
            secretArn: c.BERTH_DB_SECRET_ARN,
            database: c.BERTH_DB_NAME,
            resumeWaitMs: c.BERTH_DB_RESUME_WAIT_SECONDS * 1000,
          }
        : undefined,
    storage: {
      locations,
      preference,
      probeIntervalMs: c.BERTH_STORAGE_PROBE_SECONDS * 1000,
      writable: c.BERTH_WRITABLE_LOCATIONS,
    },
    replicateTo: c.FEATURE_STORAGE_REPLICATION ? c.DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS : [],
    replicationQueues: c.BERTH_REPLICATION_QUEUES,
    replicationLeaseMs: c.BERTH_REPLICATION_LEASE_SECONDS * 1000,
    chunkMinLength: c.BERTH_CHUNK_MIN_LENGTH,
    deletionEnabled: c.BERTH_DELETION_ENABLED,
    timeMachineMs: parseDuration(c.DEFAULT_TAG_EXPIRATION)!,
    tagExpirationOptionsS: c.TAG_EXPIRATION_OPTIONS.map((d) => parseDuration(d)! / 1000),
    proxyStorage: c.FEATURE_PROXY_STORAGE,
    quotaManagement: c.FEATURE_QUOTA_MANAGEMENT,
    autoprune: c.FEATURE_AUTO_PRUNE,
    immutability: {
      enabled: c.FEATURE_IMMUTABLE_TAGS,
      canExpire: c.FEATURE_IMMUTABLE_TAGS_CAN_EXPIRE,
    },
    taskIntervalsMs: {
      'remove-abandoned-uploads': c.BERTH_ABANDONED_UPLOADS_INTERVAL_SECONDS * 1000,
      autoprune: c.BERTH_AUTOPRUNE_INTERVAL_SECONDS * 1000,
      'quota-backfill': c.BERTH_QUOTA_BACKFILL_INTERVAL_SECONDS * 1000,
      'garbage-collection': c.BERTH_GC_INTERVAL_SECONDS * 1000,
      'mirror-schedule': c.REPO_MIRROR_INTERVAL * 1000,
      replication: c.BERTH_REPLICATION_INTERVAL_SECONDS * 1000,
      notifications: c.BERTH_NOTIFICATION_INTERVAL_SECONDS * 1000,
      'notification-upkeep': c.BERTH_NOTIFICATION_UPKEEP_INTERVAL_SECONDS * 1000,
    },
    gcGraceMs: c.BERTH_GC_GRACE_SECONDS * 1000,
    mirror: {
      enabled: c.FEATURE_REPO_MIRROR,
      rollback: c.REPO_MIRROR_ROLLBACK,
      localWorkers: c.BERTH_MIRROR_WORKERS,
      jobQueueUrl: c.BERTH_JOB_QUEUE_URL,
    },
    outboundAllowedHosts: [
      ...new Set([...c.BERTH_OUTBOUND_ALLOWED_HOSTS, ...c.BERTH_MIRROR_ALLOWED_HOSTS]),
    ],
    notifications: {
      sendTimeoutMs: c.NOTIFICATION_SEND_TIMEOUT * 1000,
      firstRetryMs: c.BERTH_NOTIFICATION_RETRY_SECONDS * 1000,
      eventBusName: c.BERTH_EVENT_BUS_NAME,
    },
    mail: {
      enabled: c.FEATURE_MAILING,
      server: c.MAIL_SERVER,
      port: c.MAIL_PORT,
      useTls: c.MAIL_USE_TLS,
      username: c.MAIL_USERNAME,
      password: c.MAIL_PASSWORD,
      sender: c.MAIL_DEFAULT_SENDER,
    },
    access: {
      enabled: c.BERTH_ACCESS_CONTROL,
      superusers: [...new Set([...c.SUPER_USERS, c.BERTH_SUPERUSER])],
      bootstrapUser: c.BERTH_SUPERUSER,
      bootstrapPassword: c.BERTH_SUPERUSER_PASSWORD,
      bootstrapPasswordArn: c.BERTH_SUPERUSER_PASSWORD_ARN,
      superusersFullAccess: c.FEATURE_SUPERUSERS_FULL_ACCESS,
      userInitialize: c.FEATURE_USER_INITIALIZE,
      publicUrl: c.SERVER_HOSTNAME ? `${c.PREFERRED_URL_SCHEME}://${c.SERVER_HOSTNAME}` : undefined,
      tokenService: c.SERVER_HOSTNAME ?? 'berth',
      tokenExpirySeconds: c.BERTH_TOKEN_EXPIRY_SECONDS,
      maxFailedLogins: c.BERTH_MAX_FAILED_LOGINS,
      sessionLifetimeS: c.PERMANENT_SESSION_LIFETIME,
      auditBatchMs: c.BERTH_AUDIT_BATCH_MS,
      secretKey: c.BERTH_SECRET_KEY,
      secretKeyArn: c.BERTH_SECRET_KEY_ARN,
    },
    cache: {
      engine: cache.engine,
      redis:
        cache.engine === 'redis' && cache.redis_config
          ? {
              host: cache.redis_config.primary.host,
              port: cache.redis_config.primary.port,
              password: cache.redis_config.primary.password,
              tls: cache.redis_config.primary.ssl,
              keyPrefix: cache.redis_config.key_prefix,
            }
          : undefined,
      repositoryBlobTtlMs: parseDuration(cache.repository_blob_cache_ttl)!,
    },
    wakeups:
      c.BERTH_WAKEUP_NAME_PREFIX && c.BERTH_WAKEUP_ROLE_ARN && c.BERTH_JOB_QUEUE_ARN
        ? {
            namePrefix: c.BERTH_WAKEUP_NAME_PREFIX,
            roleArn: c.BERTH_WAKEUP_ROLE_ARN,
            queueArn: c.BERTH_JOB_QUEUE_ARN,
            deadLetterArn: c.BERTH_JOB_DEAD_LETTER_ARN,
          }
        : undefined,
    edge: {
      viewerHostHeader: c.BERTH_VIEWER_HOST_HEADER,
      clientAddressHeader: c.BERTH_CLIENT_ADDRESS_HEADER,
      trustedProxies: c.BERTH_TRUSTED_PROXIES,
      originSecretArn: c.BERTH_ORIGIN_SECRET_ARN,
    },
  };
}
