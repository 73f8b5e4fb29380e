import { z } from 'zod';

/**
 * `DISTRIBUTED_STORAGE_CONFIG`, as in Quay: a map from location name to
 * `[driver, parameters]`. Berth reads `LocalStorage` and `S3Storage` with
 * Quay's parameter names.
 */

const localStorage = z.tuple([
  z.literal('LocalStorage'),
  z.object({ storage_path: z.string().min(1) }).strict(),
]);

const s3Params = z
  .object({
    s3_bucket: z.string().min(3),
    /** Key prefix inside the bucket. */
    storage_path: z.string().default(''),
    s3_region: z.string().default('us-east-1'),
    /** Static credentials; without them the AWS default chain (role, environment) applies. */
    s3_access_key: z.string().optional(),
    s3_secret_key: z.string().optional(),
    /** Endpoint host (Quay's `host`), for a specific S3 endpoint or an S3-compatible server. */
    host: z.string().optional(),
    port: z.coerce.number().int().optional(),
    /** Full endpoint URL; wins over `host`. */
    endpoint_url: z.string().url().optional(),
  })
  .strict()
  .refine((p) => (p.s3_access_key === undefined) === (p.s3_secret_key === undefined), {
    message: 's3_access_key and s3_secret_key go together',
  });

const s3Storage = z.tuple([z.literal('S3Storage'), s3Params]);

export const storageConfigSchema = z.record(
  z.string().regex(/^[a-zA-Z0-9_-]+$/),
  z.union([localStorage, s3Storage]),
);

export type StorageConfigInput = z.infer<typeof storageConfigSchema>;

export type StorageLocationConfig =
  | { name: string; driver: 'LocalStorage'; path: string }
  | {
      name: string;
      driver: 'S3Storage';
      bucket: string;
      prefix: string;
      region: string;
      endpoint: string | undefined;
      credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    };

export function storageLocations(config: StorageConfigInput): StorageLocationConfig[] {
  return Object.entries(config).map(([name, [driver, params]]): StorageLocationConfig => {
    if (driver === 'LocalStorage') return { name, driver, path: params.storage_path };
    const p = params as z.infer<typeof s3Params>;
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
