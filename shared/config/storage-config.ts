import {
  _default,
  literal,
  minLength,
  optional,
  record,
  refine,
  regex,
  strictObject,
  string,
  tuple,
  union,
  url,
  type infer as Infer,
} from 'zod/mini';
import { integer } from './schema-helpers.js';

/**
 * `DISTRIBUTED_STORAGE_CONFIG`, as in Quay: a map from location name to
 * `[driver, parameters]`. Berth reads `LocalStorage` and `S3Storage` with
 * Quay's parameter names.
 */

const localStorage = tuple([
  literal('LocalStorage'),
  strictObject({ storage_path: string().check(minLength(1)) }),
]);

const s3Params = strictObject({
  /**
   * A bucket name, or an access point ARN
   * (`arn:aws:s3:<region>:<account>:accesspoint/<name>`): on AWS, how one
   * region names another's bucket without knowing the bucket's name.
   */
  s3_bucket: string().check(minLength(3)),
  /** Key prefix inside the bucket. */
  storage_path: _default(string(), ''),
  s3_region: _default(string(), 'us-east-1'),
  /** Static credentials; without them the AWS default chain (role, environment) applies. */
  s3_access_key: optional(string()),
  s3_secret_key: optional(string()),
  /** Endpoint host (Quay's `host`), for a specific S3 endpoint or an S3-compatible server. */
  host: optional(string()),
  port: optional(integer({ min: 1, max: 65535 })),
  /** Full endpoint URL; wins over `host`. */
  endpoint_url: optional(url()),
}).check(
  refine((p) => (p.s3_access_key === undefined) === (p.s3_secret_key === undefined), {
    message: 's3_access_key and s3_secret_key go together',
  }),
);

const s3Storage = tuple([literal('S3Storage'), s3Params]);

export const storageConfigSchema = record(
  string().check(regex(/^[a-zA-Z0-9_-]+$/)),
  union([localStorage, s3Storage]),
);

export type StorageConfigInput = Infer<typeof storageConfigSchema>;

export type StorageLocationConfig =
  | { name: string; driver: 'LocalStorage'; path: string }
  | {
      name: string;
      driver: 'S3Storage';
      /** A bucket name or an access point ARN. */
      bucket: string;
      prefix: string;
      region: string;
      endpoint: string | undefined;
      credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    };

export function storageLocations(config: StorageConfigInput): StorageLocationConfig[] {
  return Object.entries(config).map(([name, [driver, params]]): StorageLocationConfig => {
    if (driver === 'LocalStorage') return { name, driver, path: params.storage_path };
    const p = params as Infer<typeof s3Params>;
    const endpoint =
      p.endpoint_url ?? (p.host ? `https://${p.host}${p.port ? `:${p.port}` : ''}` : undefined);
    return {
      name,
      driver,
      bucket: p.s3_bucket,
      prefix: p.storage_path,
      region: p.s3_region,
      endpoint,
      credentials:
        p.s3_access_key && p.s3_secret_key
          ? { accessKeyId: p.s3_access_key, secretAccessKey: p.s3_secret_key }
          : undefined,
    };
  });
}
