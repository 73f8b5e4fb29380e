import { z } from 'zod';
import { REGION_LOCATIONS } from './edge/region-locations.js';

/** Hours between housekeeping runs that divide a day, so every region's run lines up with the others. */
const HOUSEKEEPING_HOURS = [1, 2, 3, 4, 6, 8, 12, 24] as const;

/**
 * What `cdk deploy` builds, from CDK context (`cdk.json`'s `berth` key, or
 * `-c berth='{"regions":[...]}'`). Regions are listed in preference order;
 * the first one also holds the database, the API functions and the front door.
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
    /**
     * Names the deployment's buckets and access points, so two deployments
     * can share an account; lowercase letters and digits.
     */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9]{0,11}$/)
      .default('berth'),
    /** Registry host name, with an ACM certificate for it in us-east-1 (CloudFront's region). */
    domainName: z.string().optional(),
    certificateArn: z.string().startsWith('arn:aws:acm:us-east-1:').optional(),
    /** Aurora Serverless v2 capacity in ACUs; 0 lets the database pause when idle. */
    auroraMinCapacity: z.number().min(0).max(256).default(0),
    auroraMaxCapacity: z.number().min(1).max(256).default(4),
    /** Idle time before a 0-ACU database pauses (Aurora allows 300 to 86,400 seconds). */
    auroraAutoPauseSeconds: z.number().int().min(300).max(86_400).default(300),
    dataPlane: z
      .object({
        cpu: z.number().int().default(512),
        memoryMiB: z.number().int().default(1024),
        /** Upload tasks kept running in each region, even when idle. */
        minTasks: z.number().int().min(1).default(1),
        maxTasks: z.number().int().min(1).default(4),
        /**
         * How long a task taken out of service (scale-in, deploy) keeps
         * serving the uploads it has, before it is stopped: the load
         * balancer's deregistration delay, at most an hour.
         */
        drainSeconds: z.number().int().min(0).max(3600).default(900),
      })
      .default({ cpu: 512, memoryMiB: 1024, minTasks: 1, maxTasks: 4, drainSeconds: 900 }),
    /**
     * How often housekeeping runs: abandoned uploads in every region, and in
     * the first one auto-prune, quota sizes, garbage collection and a mirror
     * check, all at once so the database wakes once. Work that people ask
     * for (a sync now, a registry size, a new prune policy) does not wait
     * for it: it is scheduled when asked.
     */
    housekeepingHours: z
      .number()
      .int()
      .refine((h) => (HOUSEKEEPING_HOURS as readonly number[]).includes(h), {
        message: `one of ${HOUSEKEEPING_HOURS.join(', ')} (hours that divide a day)`,
      })
      .default(6),
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
    /**
     * Caps on the API functions' concurrency (Lambda reserved concurrency),
     * so a flood of requests cannot run up the bill or starve the account.
     */
    throttle: z
      .strictObject({
        registryConcurrency: z.number().int().min(1).optional(),
        restConcurrency: z.number().int().min(1).optional(),
      })
      .default({}),
    /** An AWS WAF rate-based rule on the front door: requests per five minutes from one address. */
    wafRateLimit: z.number().int().min(100).optional(),
    /** Bump after rotating the origin secret, so the distribution picks the new value up. */
    originSecretRotation: z.number().int().min(0).default(0),
    /** Where the dead-letter alarms send mail (an SNS subscription to confirm). */
    alarmEmail: z.email().optional(),
    /** How notifications leave besides webhooks and Slack (which need nothing set up). */
    notifications: z
      .strictObject({
        /**
         * The EventBridge bus every registry event is also published to:
         * `default`, or a name the stack creates a bus under. None: no
         * event is published.
         */
        eventBus: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,256}$/)
          .optional(),
        /**
         * The address e-mail notifications come from, an identity SES has
         * verified in the first region. None: e-mail notifications are off.
         */
        mailSender: z.email().optional(),
      })
      .default({}),
  })
  .strict()
  .refine((c) => (c.domainName === undefined) === (c.certificateArn === undefined), {
    message: 'domainName and certificateArn go together',
  })
  .refine((c) => c.wafRateLimit === undefined || c.regions[0] === 'us-east-1', {
    message:
      'wafRateLimit needs us-east-1 as the first region: a web ACL for CloudFront lives there, with the front door',
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

/**
 * The name of the access point every region's stack puts on its blob
 * bucket. Bucket names are unique per stack (a redeploy after `cdk destroy`
 * must not collide with the bucket the first deployment retained), so the
 * regions reach each other's buckets by this name instead of learning
 * bucket names from each other's stacks, which would tie them in a cycle.
 */
export function blobAccessPointName(config: DeployConfig): string {
  return `${config.name}-blobs`;
}

/** The prefix of every blob bucket of the deployment in a region; its stack adds a unique tail. */
export function blobBucketPrefix(config: DeployConfig, account: string, region: string): string {
  return `${config.name}-blobs-${account}-${region}`;
}

/**
 * Each region's replication job queue has this name, so any region can
 * name another's (its URL and ARN follow from region, account and name).
 */
export function replicationQueueName(config: DeployConfig): string {
  return `${config.name}-replication`;
}
