import { z } from 'zod';
import { REGION_LOCATIONS } from './edge/region-locations.js';

/**
 * What `cdk deploy` builds, from CDK context (`cdk.json`'s `berth` key, or
 * `-c berth='{"regions":[...]}'`). Regions are listed in preference order;
 * the first one also holds the database.
 */
const schema = z
  .object({
    regions: z
      .array(
        z
          .string()
          .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
          .refine((r) => Object.hasOwn(REGION_LOCATIONS, r), {
            message:
              'a region the front door knows the location of (infra/edge/region-locations.ts)',
          }),
      )
      .min(1),
    /** Registry host name, with an ACM certificate for it in us-east-1 (CloudFront's region). */
    domainName: z.string().optional(),
    certificateArn: z.string().startsWith('arn:aws:acm:us-east-1:').optional(),
    /** Aurora Serverless v2 capacity in ACUs; 0 lets the database pause when idle. */
    auroraMinCapacity: z.number().min(0).max(256).default(0),
    auroraMaxCapacity: z.number().min(1).max(256).default(4),
    dataPlane: z
      .object({
        cpu: z.number().int().default(512),
        memoryMiB: z.number().int().default(1024),
        minTasks: z.number().int().min(1).default(1),
        maxTasks: z.number().int().min(1).default(4),
      })
      .default({ cpu: 512, memoryMiB: 1024, minTasks: 1, maxTasks: 4 }),
    /**
     * How often, in minutes, the primary region runs the namespace-wide
     * workers (EventBridge rates; a minute at the least). Abandoned uploads
     * are swept hourly in every region.
     */
    schedules: z
      .strictObject({
        autopruneMinutes: z.number().int().min(1).default(1),
        quotaBackfillMinutes: z.number().int().min(1).default(5),
        garbageCollectionMinutes: z.number().int().min(1).default(60),
        mirrorScheduleMinutes: z.number().int().min(1).default(1),
      })
      .default({
        autopruneMinutes: 1,
        quotaBackfillMinutes: 5,
        garbageCollectionMinutes: 60,
        mirrorScheduleMinutes: 1,
      }),
    /** How many mirror syncs run at once (the job worker's SQS concurrency, at least 2). */
    mirrorWorkers: z.number().int().min(2).max(1000).default(10),
    /** Quay's FEATURE_PROXY_STORAGE: serve blob bytes through the registry instead of redirecting. */
    proxyStorage: z.boolean().default(false),
    /**
     * Per region, the order its functions read blob storage in
     * (`DISTRIBUTED_STORAGE_PREFERENCE`): every region once, itself first,
     * because pushes are written where they arrive. Default: itself, then
     * `regions` in order.
     */
    storagePreference: z.record(z.string(), z.array(z.string())).optional(),
  })
  .strict()
  .refine((c) => (c.domainName === undefined) === (c.certificateArn === undefined), {
    message: 'domainName and certificateArn go together',
  })
  .refine(
    (c) =>
      Object.entries(c.storagePreference ?? {}).every(
        ([region, order]) =>
          order[0] === region &&
          order.length === c.regions.length &&
          [...order].sort().join() === [...c.regions].sort().join(),
      ),
    {
      message: 'storagePreference lists, for a configured region, every region once, itself first',
    },
  );

export type DeployConfig = z.infer<typeof schema>;

export function parseDeployConfig(context: unknown): DeployConfig {
  const parsed = schema.safeParse(typeof context === 'string' ? JSON.parse(context) : context);
  if (!parsed.success) {
    throw new Error(
      `invalid berth context: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** The order a region reads blob storage in: configured, or itself and then the others. */
export function storageOrder(config: DeployConfig, region: string): string[] {
  return (
    config.storagePreference?.[region] ?? [region, ...config.regions.filter((r) => r !== region)]
  );
}

/** The blob bucket of a region; derived, so every region can name every other's bucket. */
export function blobBucketName(account: string, region: string): string {
  return `berth-blobs-${account}-${region}`;
}
