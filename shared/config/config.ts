import { z } from 'zod';
import {
  storageConfigSchema,
  storageLocations,
  type StorageConfigInput,
  type StorageLocationConfig,
} from './storage-config.js';

export type { StorageLocationConfig };

/**
 * Berth's configuration. Every key may be set in `config.yaml` or as an
 * environment variable of the same name (JSON for structured values); the
 * environment wins. Keys follow Quay's `config.yaml` where Quay has one.
 */

const boolean = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

const schema = z
  .object({
    BERTH_HOST: z.string().default('0.0.0.0'),
    BERTH_PORT: z.coerce.number().int().min(0).max(65535).default(5000),
    BERTH_DATA_DIR: z.string().default('./data'),
    DB_URI: z.string().url().optional(),
    BERTH_DB_CLUSTER_ARN: z.string().startsWith('arn:').optional(),
    BERTH_DB_SECRET_ARN: z.string().startsWith('arn:').optional(),
    BERTH_DB_NAME: z.string().default('berth'),
    DISTRIBUTED_STORAGE_CONFIG: storageConfigSchema.optional(),
    DISTRIBUTED_STORAGE_PREFERENCE: z.array(z.string()).optional(),
    BERTH_CHUNK_MIN_LENGTH: z.coerce
      .number()
      .int()
      .min(0)
      .default(5 * 1024 * 1024),
    BERTH_DELETION_ENABLED: boolean.default(true),
    FEATURE_PROXY_STORAGE: boolean.default(false),
    BERTH_ABANDONED_UPLOADS_INTERVAL_SECONDS: z.coerce.number().positive().default(3600),
  })
  .strict();

export interface BerthConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Postgres to use instead of the embedded one. */
  databaseUrl: string | undefined;
  /** Aurora through the RDS Data API, when deployed on AWS. */
  dataApi: { resourceArn: string; secretArn: string; database: string } | undefined;
  storage: { locations: StorageLocationConfig[]; preference: string[] };
  chunkMinLength: number;
  deletionEnabled: boolean;
  /** Serve blob bytes through the registry instead of redirecting to storage (Quay's key). */
  proxyStorage: boolean;
  /** How often the local server runs each scheduled task (EventBridge schedules it on AWS). */
  taskIntervalsMs: { 'remove-abandoned-uploads': number };
}

const STRUCTURED_KEYS = new Set(['DISTRIBUTED_STORAGE_CONFIG', 'DISTRIBUTED_STORAGE_PREFERENCE']);

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
    } else if (key === 'DISTRIBUTED_STORAGE_PREFERENCE' && !raw.trim().startsWith('[')) {
      values[key] = raw.split(',').map((s) => s.trim());
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
  const result = schema.safeParse({ ...fromFile, ...fromEnvironment(env) });
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
  if (Boolean(c.BERTH_DB_CLUSTER_ARN) !== Boolean(c.BERTH_DB_SECRET_ARN)) {
    throw new ConfigError('BERTH_DB_CLUSTER_ARN and BERTH_DB_SECRET_ARN go together');
  }
  return {
    host: c.BERTH_HOST,
    port: c.BERTH_PORT,
    dataDir: c.BERTH_DATA_DIR,
    databaseUrl: c.DB_URI,
    dataApi:
      c.BERTH_DB_CLUSTER_ARN && c.BERTH_DB_SECRET_ARN
        ? {
            resourceArn: c.BERTH_DB_CLUSTER_ARN,
            secretArn: c.BERTH_DB_SECRET_ARN,
            database: c.BERTH_DB_NAME,
          }
        : undefined,
    storage: { locations, preference },
    chunkMinLength: c.BERTH_CHUNK_MIN_LENGTH,
    deletionEnabled: c.BERTH_DELETION_ENABLED,
    proxyStorage: c.FEATURE_PROXY_STORAGE,
    taskIntervalsMs: {
      'remove-abandoned-uploads': c.BERTH_ABANDONED_UPLOADS_INTERVAL_SECONDS * 1000,
    },
  };
}
