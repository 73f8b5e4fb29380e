/**
 * Every AWS limit or behaviour the deployment relies on, written once, with
 * the document it comes from (title and section, as read in AWS's own
 * documentation). `aws-facts.test.ts` checks the code and the synthesized
 * templates against these; the Data API emulator enforces the Data API's.
 * When AWS changes a fact, change it here and the tests say what no longer
 * fits.
 */

export interface Source {
  /** The document's title and section. */
  document: string;
  url: string;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export const CLOUDFRONT_FUNCTIONS = {
  /** Headers a function may not add; CloudFront answers 502 if one does. */
  disallowedHeaders: [
    'connection',
    'expect',
    'keep-alive',
    'proxy-authenticate',
    'proxy-authorization',
    'proxy-connection',
    'trailer',
    'upgrade',
    'x-accel-buffering',
    'x-accel-charset',
    'x-accel-limit-rate',
    'x-accel-redirect',
    'x-amz-cf-*',
    'x-amzn-auth',
    'x-amzn-cf-billing',
    'x-amzn-cf-id',
    'x-amzn-cf-xff',
    'x-amzn-errortype',
    'x-amzn-fle-profile',
    'x-amzn-header-count',
    'x-amzn-header-order',
    'x-amzn-lambda-integration-tag',
    'x-amzn-requestid',
    'x-cache',
    'x-edge-*',
    'x-forwarded-proto',
    'x-real-ip',
  ],
  /** Headers a viewer-request function may read but not add, change or remove (else 502). */
  readOnlyViewerRequestHeaders: ['content-length', 'host', 'transfer-encoding', 'via'],
  headersSource: {
    document:
      'Amazon CloudFront Developer Guide, "Restrictions on all edge functions", sections "Disallowed headers" and "Read-only headers in viewer request events"',
    url: 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html',
  } satisfies Source,
  /** The origin helpers (`updateRequestOrigin`, `selectRequestOriginById`) need runtime 2.0 and `import cf from 'cloudfront'` as the first line. */
  runtime: 'cloudfront-js-2.0',
  firstLine: "import cf from 'cloudfront';",
  originHelpersSource: {
    document:
      'Amazon CloudFront Developer Guide, "Helper methods for origin modification" (viewer request functions only)',
    url: 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/helper-functions-origin-modification.html',
  } satisfies Source,
  /**
   * Largest function code. The quota table could not be read from this
   * workplace's copy of the guide; the figure is the one the review cited.
   */
  maxCodeBytes: 10 * KiB,
  sizeSource: {
    document:
      'Amazon CloudFront Developer Guide, "Quotas", section "Quotas on CloudFront Functions"',
    url: 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html',
  } satisfies Source,
} as const;

export const CLOUDFRONT_ORIGINS = {
  /** How long CloudFront waits for an origin's response: 30 s unless set, 120 s at most without a quota increase. */
  defaultResponseTimeoutSeconds: 30,
  maxResponseTimeoutSeconds: 120,
  source: {
    document: 'Amazon CloudFront API Reference, "VpcOriginConfig" (OriginReadTimeout)',
    url: 'https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_VpcOriginConfig.html',
  } satisfies Source,
  /** VPC origins reach Application Load Balancers in private subnets; the ALB need not face the internet. */
  vpcOriginsSource: {
    document: 'Amazon CloudFront Developer Guide, "Restrict access with VPC origins"',
    url: 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html',
  } satisfies Source,
  /** The managed prefix list of CloudFront's origin-facing addresses, for the origin's security group. */
  originFacingPrefixList: 'com.amazonaws.global.cloudfront.origin-facing',
} as const;

export const LAMBDA = {
  /** A buffered function URL invocation: at most 6 MB of payload each way. */
  maxBufferedPayloadBytes: 6 * 1000 * 1000,
  /** A streamed (RESPONSE_STREAM) function URL response. */
  maxStreamedResponseBytes: 200 * 1000 * 1000,
  source: {
    document:
      'AWS Lambda Developer Guide, "Invoking a response streaming enabled function using Lambda function URLs" (invoke modes)',
    url: 'https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html',
  } satisfies Source,
} as const;

export const FUNCTION_URLS = {
  /** A function URL created since October 2025 needs both permissions in the function's resource policy. */
  publicInvokeActions: ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction'],
  source: {
    document:
      'AWS Lambda Developer Guide, "Control access to Lambda function URLs" (note, and "Using the NONE auth type")',
    url: 'https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html',
  } satisfies Source,
  /**
   * A function URL event carries the request's cookies in its own `cookies`
   * array, not in `headers`; a response sets cookies with a `cookies` array
   * of Set-Cookie values. The console's session cookie travels this way.
   */
  cookiesField: 'cookies',
  payloadSource: {
    document:
      'AWS Lambda Developer Guide, "Invoking Lambda function URLs", section "Request and response payloads"',
    url: 'https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html',
  } satisfies Source,
} as const;

export const DATA_API = {
  /** A call whose response data passes 1 MiB is terminated. */
  maxResponseBytes: MiB,
  /** Each row of a result set may be at most 64 KB. */
  maxRowBytes: 64 * KiB,
  limitsSource: {
    document: 'Amazon Aurora User Guide, "Limitations for Amazon RDS Data API"',
    url: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html',
  } satisfies Source,
  /** A statement ends with its call after 45 s unless sent with `continueAfterTimeout`, which DDL should be. */
  statementTimeoutSeconds: 45,
  /** A transaction no call has used for three minutes is rolled back. */
  transactionIdleSeconds: 180,
  statementSource: {
    document:
      'Amazon RDS Data API Reference, "ExecuteStatement" (continueAfterTimeout) and "BeginTransaction"',
    url: 'https://docs.aws.amazon.com/rdsdataservice/latest/APIReference/API_ExecuteStatement.html',
  } satisfies Source,
  /** A paused Aurora Serverless v2 instance refuses calls with DatabaseResumingException while the call resumes it. */
  resumingException: 'DatabaseResumingException',
  resumingSource: {
    document: 'Amazon RDS Data API Reference, "DatabaseResumingException"',
    url: 'https://docs.aws.amazon.com/rdsdataservice/latest/APIReference/CommonErrors.html',
  } satisfies Source,
} as const;

export const AURORA_SERVERLESS_V2 = {
  /** An instance pauses after this long without connections, when its minimum capacity is 0 ACU. */
  minSecondsUntilAutoPause: 300,
  maxSecondsUntilAutoPause: 86_400,
  source: {
    document:
      'Amazon RDS API Reference, "ServerlessV2ScalingConfiguration" (SecondsUntilAutoPause), and Amazon Aurora User Guide, "Scaling to Zero ACUs with automatic pause and resume"',
    url: 'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ServerlessV2ScalingConfiguration.html',
  } satisfies Source,
} as const;

export const S3_MULTIPART = {
  minPartBytes: 5 * MiB,
  maxPartBytes: 5 * GiB,
  maxParts: 10_000,
  source: {
    document: 'Amazon S3 User Guide, "Amazon S3 multipart upload limits"',
    url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html',
  } satisfies Source,
} as const;

export const ECS_DRAINING = {
  /** ECS waits for the load balancer to drain a target (the deregistration delay) before it stops the task. */
  maxDeregistrationDelaySeconds: 3600,
  /** Fargate sends SIGKILL this long after SIGTERM at the most. */
  maxFargateStopTimeoutSeconds: 120,
  source: {
    document:
      'Amazon ECS Developer Guide, "Optimize load balancer connection draining parameters for Amazon ECS"; Elastic Load Balancing, target group attribute deregistration_delay.timeout_seconds (0-3600)',
    url: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/load-balancer-connection-draining.html',
  } satisfies Source,
} as const;

export const EVENTBRIDGE_SCHEDULER = {
  /** A one-time schedule fires once, at the time its expression names. */
  atExpression: /^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/,
  /** A flexible time window must be given; OFF fires on time. */
  flexibleTimeWindowModes: ['OFF', 'FLEXIBLE'],
  actionsAfterCompletion: ['NONE', 'DELETE'],
  source: {
    document:
      'AWS CloudFormation User Guide, "AWS::Scheduler::Schedule" (ScheduleExpression); EventBridge Scheduler User Guide, "Configuring flexible time windows"',
    url: 'https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-flexible-time-windows.html',
  } satisfies Source,
} as const;

export const S3_ACCESS_POINTS = {
  /** Unique within one account and region, so each region's can share a name. */
  nameLength: { min: 3, max: 50 },
  name: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/,
  arn: (region: string, account: string, name: string) =>
    `arn:aws:s3:${region}:${account}:accesspoint/${name}`,
  /** The SDKs take the ARN in place of the bucket name and send requests to this host. */
  host: (region: string, account: string, name: string) =>
    `${name}-${account}.s3-accesspoint.${region}.amazonaws.com`,
  /** CopyObject through an access point names its source as `<access point ARN>/object/<key>`. */
  copySource: (accessPointArn: string, key: string) => `${accessPointArn}/object/${key}`,
  /** A request through an access point must be allowed by the bucket too: the bucket delegates to the account's access points. */
  delegationCondition: 's3:DataAccessPointAccount',
  /** HeadObject and GetObject on a missing key answer 404 only with s3:ListBucket; without it, 403. */
  missingKeyNeeds: 's3:ListBucket',
  source: {
    document:
      'Amazon S3 User Guide, "Access points naming rules, restrictions, and limitations", "Using access points" (ARNs) and "Configuring IAM policies for using access points" (delegating access control); Amazon S3 API Reference, CopyObject (x-amz-copy-source) and HeadObject (permissions)',
    url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html',
  } satisfies Source,
} as const;

export const SQS_QUEUES = {
  /** Up to 80 characters: letters, digits, hyphens and underscores. */
  name: /^[A-Za-z0-9_-]{1,80}$/,
  /** A queue's URL, from its region, owning account and name: how one region names another's queue. */
  url: (region: string, account: string, name: string) =>
    `https://sqs.${region}.amazonaws.com/${account}/${name}`,
  arn: (region: string, account: string, name: string) =>
    `arn:aws:sqs:${region}:${account}:${name}`,
  source: {
    document:
      'Amazon SQS Developer Guide, "Amazon SQS queue and message identifiers" (queue name and URL); Amazon SQS API Reference, GetQueueUrl (QueueName)',
    url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html',
  } satisfies Source,
} as const;

export const LAMBDA_SQS_SCALING = {
  /** An SQS event source's MaximumConcurrency lies in 2..1000. */
  maximumConcurrency: { min: 2, max: 1000 },
  source: {
    document: 'AWS Lambda API Reference, "ScalingConfig" (MaximumConcurrency)',
    url: 'https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html',
  } satisfies Source,
} as const;

export const S3_COPY = {
  /** One CopyObject copies at most 5 GB (GiB, as S3 counts); larger objects need UploadPartCopy. */
  maxCopyObjectBytes: 5 * GiB,
  /** UploadPartCopy's `x-amz-copy-source-range`: `bytes=first-last`, zero-based offsets, both inclusive. */
  copySourceRange: /^bytes=(\d+)-(\d+)$/,
  /** A range may be copied only from a source of more than 5 MB. */
  rangeNeedsSourceOver: 5 * MiB,
  /**
   * For an object assembled from parts, S3's SHA-256 is a checksum of the
   * parts' checksums, never of the whole object (SHA-256 has no full-object
   * type for multipart uploads): a copy in parts must be read back to check
   * its digest.
   */
  multipartSha256IsComposite: true,
  source: {
    document:
      'Amazon S3 API Reference, CopyObject (the note on object sizes), UploadPartCopy (x-amz-copy-source-range) and Checksum (ChecksumSHA256 of multipart objects); Amazon S3 User Guide, "Checking object integrity"',
    url: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html',
  } satisfies Source,
} as const;

export const SQS_DELAY = {
  /** A message's own DelaySeconds: 0 to 900 (15 minutes); FIFO queues take no per-message delay. */
  delaySeconds: { min: 0, max: 900 },
  source: {
    document:
      'Amazon SQS API Reference, SendMessageBatchRequestEntry (DelaySeconds); Amazon SQS Developer Guide, "Amazon SQS delay queues"',
    url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html',
  } satisfies Source,
} as const;

export const EVENTBRIDGE_PUT_EVENTS = {
  /** Entries per PutEvents call. */
  maxEntries: 10,
  /**
   * An entry's size (Source, DetailType, Detail and Resources in UTF-8, 14
   * bytes for Time) must stay under 256 KB; the current API reference
   * allows 1 MB, so 256 KB holds under both.
   */
  maxEntryBytes: 256 * KiB,
  timeBytes: 14,
  /** Entries that fail come back in order with ErrorCode; the others are published. */
  partialFailures: true,
  /** Publishing needs `events:PutEvents` on the bus. */
  action: 'events:PutEvents',
  busArn: (region: string, account: string, name: string) =>
    `arn:aws:events:${region}:${account}:event-bus/${name}`,
  source: {
    document:
      'Amazon EventBridge API Reference, PutEvents (Entries); Amazon EventBridge User Guide, "Sending events with PutEvents" (handling failures, calculating entry size) and "Example policy: Send events to an event bus in the same account"',
    url: 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html',
  } satisfies Source,
} as const;

export const SES_SENDING = {
  /** SES API v2 SendEmail is allowed by `ses:SendEmail` on the sending identity. */
  action: 'ses:SendEmail',
  identityArn: (region: string, account: string, identity: string) =>
    `arn:aws:ses:${region}:${account}:identity/${identity}`,
  source: {
    document:
      'Amazon SES Developer Guide, "Identity and access management in Amazon SES"; Amazon SES API v2 Reference, SendEmail (FromEmailAddressIdentityArn names the identity ARN form)',
    url: 'https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html',
  } satisfies Source,
} as const;

export const CLOUDFRONT_ORIGIN_REQUESTS = {
  /**
   * The managed AllViewerExceptHostHeader origin request policy: every viewer
   * header but Host, every cookie, every query string. The behaviors in
   * front of the functions use it, so the console's session cookie reaches them.
   */
  allViewerExceptHostHeaderId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
  forwardsAllCookies: true,
  source: {
    document:
      'Amazon CloudFront Developer Guide, "Use managed origin request policies", section "AllViewerExceptHostHeader"',
    url: 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html',
  } satisfies Source,
} as const;

export const CLOUDFRONT_STATIC_CONSOLE = {
  /**
   * A viewer-request function that changes `uri` changes the object asked
   * for, not the behavior or the origin: a console page rewritten to
   * `/index.html` is still read from the console's bucket.
   */
  uriRewriteKeepsOrigin: true,
  /** A viewer-request function may answer itself with `{ statusCode, headers }` instead of the request. */
  functionMayAnswer: true,
  eventSource: {
    document:
      'Amazon CloudFront Developer Guide, "CloudFront Functions event structure", section "Request object" (uri)',
    url: 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html',
  } satisfies Source,
  /**
   * With origin access control, the bucket stays private: its policy lets
   * only the service principal `cloudfront.amazonaws.com` `s3:GetObject`,
   * on the condition that `AWS:SourceArn` is the distribution's ARN.
   */
  oacPrincipal: 'cloudfront.amazonaws.com',
  oacSource: {
    document:
      'Amazon CloudFront Developer Guide, "Restrict access to an Amazon S3 origin" (origin access control)',
    url: 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html',
  } satisfies Source,
  /** The managed CachingOptimized policy: compresses with gzip and Brotli, honours the origin's Cache-Control. */
  cachingOptimizedPolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
  /**
   * Its minimum TTL. With a minimum above 0 CloudFront caches an object at
   * least that long even when the origin says `no-cache`, and no longer
   * when it says so: a new index.html is served within a second.
   */
  cachingOptimizedMinTtlSeconds: 1,
  minTtlSource: {
    document: 'Amazon CloudFront API Reference, "CachePolicyConfig" (MinTTL, the note on no-cache)',
    url: 'https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html',
  } satisfies Source,
  cachePolicySource: {
    document:
      'Amazon CloudFront Developer Guide, "Use managed cache policies", section "CachingOptimized"',
    url: 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html',
  } satisfies Source,
} as const;
