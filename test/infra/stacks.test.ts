import {
  EVENTBRIDGE_PUT_EVENTS,
  LAMBDA_SQS_SCALING,
  SES_SENDING,
  SQS_QUEUES,
} from './aws-facts.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStacks } from '../../infra/app.js';
import { bundleAll } from '../../infra/bundle.js';
import { ensureConsoleBuilt } from '../../functions/console/build.js';
import { parseDeployConfig } from '../../infra/deploy-config.js';
import {
  BLOB_PATH_PATTERN,
  REGISTRY_PATH_PATTERNS,
  REST_PATH_PATTERNS,
  UPLOAD_PATH_PATTERN,
} from '../../infra/stacks/edge-stack.js';
import { MIGRATION_NAMES } from '../../shared/adapters/sql/migrate.js';
import {
  CLOUDFRONT_ORIGIN_REQUESTS,
  CLOUDFRONT_STATIC_CONSOLE,
  S3_ACCESS_POINTS,
} from './aws-facts.js';
import { CONSOLE_HEADERS } from '../../shared/http/console-headers.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Resources = Record<string, Resource>;
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let bundleDir: string;
let primary: Template;
let useast: Template;
let euwest: Template;
let edge: Template;

function synth(context: Record<string, unknown>) {
  const stacks = buildStacks(new App(), parseDeployConfig(context), bundleDir, '123456789012');
  return {
    primary: Template.fromStack(stacks.primary),
    regional: stacks.regional.map((r) => Template.fromStack(r)),
    edge: Template.fromStack(stacks.edge),
  };
}

const statementsOf = (template: Template): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy') as Resources).flatMap(
    (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );

const functionsOf = (template: Template) =>
  template.findResources('AWS::Lambda::Function') as Resources;
const byId = (resources: Resources, part: string) =>
  Object.entries(resources).filter(([id]) => id.includes(part));

function distributionConfig(template: Template) {
  const [distribution] = Object.values(
    template.findResources('AWS::CloudFront::Distribution') as Resources,
  );
  return distribution!.Properties.DistributionConfig as {
    Aliases?: string[];
    Comment: string;
    WebACLId?: unknown;
    Origins: {
      Id: string;
      DomainName: unknown;
      CustomOriginConfig?: { OriginProtocolPolicy: string; OriginReadTimeout?: number };
      VpcOriginConfig?: { VpcOriginId: unknown; OriginReadTimeout?: number };
      OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[];
    }[];
    DefaultCacheBehavior: {
      TargetOriginId: string;
      ViewerProtocolPolicy: string;
      AllowedMethods?: string[];
      CachePolicyId: string;
      ResponseHeadersPolicyId?: unknown;
      FunctionAssociations?: { EventType: string; FunctionARN: unknown }[];
      LambdaFunctionAssociations?: unknown[];
    };
    CacheBehaviors: {
      PathPattern: string;
      TargetOriginId: string;
      AllowedMethods: string[];
      OriginRequestPolicyId?: string;
    }[];
  };
}

beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), 'berth-cdk-'));
  await bundleAll(bundleDir);
  // The console's bucket is filled from the build, as `cdk synth` does.
  await ensureConsoleBuilt();
  const stacks = synth({
    regions: ['us-east-1', 'eu-west-1'],
    domainName: 'registry.example.com',
    certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
  });
  primary = stacks.primary;
  [useast, euwest] = stacks.regional as [Template, Template];
  edge = stacks.edge;
}, 120_000);
afterAll(() => rm(bundleDir, { recursive: true, force: true }));

describe('primary stack', () => {
  it('runs Aurora PostgreSQL Serverless v2 with the Data API, encrypted, pausing at 0 ACU', () => {
    primary.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EnableHttpEndpoint: true,
      StorageEncrypted: true,
      KmsKeyId: Match.anyValue(),
      DeletionProtection: true,
      ServerlessV2ScalingConfiguration: {
        MinCapacity: 0,
        MaxCapacity: 4,
        SecondsUntilAutoPause: 300,
      },
    });
    primary.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('keeps no cache cluster the VPC-less functions could not reach, and no NAT gateway', () => {
    for (const type of [
      'AWS::ElastiCache::ReplicationGroup',
      'AWS::ElastiCache::CacheCluster',
      'AWS::ElastiCache::ServerlessCache',
      'AWS::EC2::NatGateway',
    ]) {
      for (const template of [primary, useast, euwest]) template.resourceCountIs(type, 0);
    }
  });

  it('migrates the schema on deploy, again whenever a migration is added', () => {
    primary.hasResourceProperties('Custom::BerthMigration', {
      migrations: MIGRATION_NAMES.join(','),
    });
  });

  it('generates the token-signing secret, the first superuser password and the origin secret, KMS-encrypted', () => {
    for (const description of [
      'Berth: the key registry tokens are signed with',
      'Berth: password of the first superuser (BERTH_SUPERUSER, default admin)',
      'Berth: CloudFront sends this to the function URLs, which refuse requests without it',
    ]) {
      primary.hasResourceProperties('AWS::SecretsManager::Secret', {
        Description: description,
        KmsKeyId: Match.anyValue(),
        GenerateSecretString: Match.objectLike({ ExcludePunctuation: true }),
      });
    }
  });
});

describe('the API functions', () => {
  it('run in the first region only, behind function URLs, and no API Gateway anywhere', () => {
    for (const template of [primary, useast, euwest, edge]) {
      expect(JSON.stringify(template.toJSON())).not.toContain('AWS::ApiGatewayV2');
    }
    const urls = Object.values(useast.findResources('AWS::Lambda::Url') as Resources);
    expect(urls).toHaveLength(2);
    for (const url of urls) {
      expect(url.Properties).toMatchObject({ AuthType: 'NONE', InvokeMode: 'BUFFERED' });
    }
    euwest.resourceCountIs('AWS::Lambda::Url', 0);
    expect(byId(functionsOf(euwest), 'RegistryApi')).toEqual([]);
    expect(byId(functionsOf(euwest), 'RestApi')).toEqual([]);
  });

  it('check the origin secret, name the viewer host in realms, count logins by the viewer address, and leave time to answer 503 while the database resumes', () => {
    for (const part of ['RegistryApi', 'RestApi']) {
      const [[, fn]] = byId(functionsOf(useast), part) as [[string, Resource]];
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;
      expect(variables).toMatchObject({
        BERTH_ORIGIN_SECRET_ARN: expect.anything(),
        BERTH_VIEWER_HOST_HEADER: 'x-berth-viewer-host',
        BERTH_CLIENT_ADDRESS_HEADER: 'x-berth-viewer-address',
        PREFERRED_URL_SCHEME: 'https',
        SERVER_HOSTNAME: 'registry.example.com',
        BERTH_SECRET_KEY_ARN: expect.anything(),
      });
      expect(Number(variables.BERTH_DB_RESUME_WAIT_SECONDS)).toBeLessThan(
        fn.Properties.Timeout as number,
      );
      expect(variables).not.toHaveProperty('X_FORWARDED_PROTO');
    }
  });

  it('caps their concurrency when the deploy config says so', () => {
    const throttled = synth({
      regions: ['us-east-1'],
      throttle: { registryConcurrency: 50, restConcurrency: 10 },
    }).regional[0]!;
    const [[, registry]] = byId(functionsOf(throttled), 'RegistryApi') as [[string, Resource]];
    const [[, rest]] = byId(functionsOf(throttled), 'RestApi') as [[string, Resource]];
    expect(registry.Properties.ReservedConcurrentExecutions).toBe(50);
    expect(rest.Properties.ReservedConcurrentExecutions).toBe(10);
  });
});

describe('blob storage', () => {
  it('keeps blobs in a private, encrypted, TLS-only, retained bucket whose name is unique to its stack', () => {
    const [[, bucket]] = Object.entries(useast.findResources('AWS::S3::Bucket') as Resources) as [
      [string, Resource],
    ];
    // Not a fixed string: a deploy after `cdk destroy` must not collide with the retained bucket.
    expect(JSON.stringify(bucket.Properties.BucketName)).toContain('AWS::StackId');
    expect(JSON.stringify(bucket.Properties.BucketName)).toContain(
      'berth-blobs-123456789012-us-east-1',
    );
    useast.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    useast.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
          Match.objectLike({ Prefix: 'uploads/', ExpirationInDays: 7 }),
        ]),
      },
    });
    useast.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it("reaches another region's bucket through an access point of a name every region shares", () => {
    for (const template of [useast, euwest]) {
      const points = Object.values(template.findResources('AWS::S3::AccessPoint'));
      expect(points).toHaveLength(1);
      const point = points[0];
      const name = point!.Properties.Name as string;
      expect(name).toBe('berth-blobs');
      expect(name.length).toBeGreaterThanOrEqual(S3_ACCESS_POINTS.nameLength.min);
      expect(name.length).toBeLessThanOrEqual(S3_ACCESS_POINTS.nameLength.max);
      expect(name).toMatch(S3_ACCESS_POINTS.name);
      expect(point!.Properties.Bucket).toEqual({ Ref: expect.stringMatching(/^Blobs/) });
      // Deleted with the stack, unlike the bucket, so a redeploy can take the name again.
      expect(point!.DeletionPolicy).toBeUndefined();
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Condition: {
                StringEquals: { [S3_ACCESS_POINTS.delegationCondition]: '123456789012' },
              },
            }),
          ]),
        },
      });
    }
    const [fn] = byId(functionsOf(euwest), 'ScheduledTasks').map(([, f]) => f);
    const variables = (fn!.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables.DISTRIBUTED_STORAGE_PREFERENCE).toBe('eu-west-1,us-east-1');
    // Reads fall back to the other region; uploads stay where IAM lets them write.
    expect(variables.BERTH_WRITABLE_LOCATIONS).toBe('eu-west-1');
    const storage = JSON.stringify(variables.DISTRIBUTED_STORAGE_CONFIG);
    expect(storage).toContain(S3_ACCESS_POINTS.arn('us-east-1', '123456789012', 'berth-blobs'));
  });

  it("lets a region read every other region's bucket but write only its own; only the first deletes elsewhere", () => {
    const remote = S3_ACCESS_POINTS.arn('us-east-1', '123456789012', 'berth-blobs');
    const touching = (template: Template, region: string) =>
      statementsOf(template).filter((s) =>
        JSON.stringify(s.Resource).includes(`berth-blobs-123456789012-${region}-*`),
      );
    const fromEu = touching(euwest, 'us-east-1');
    expect(fromEu.length).toBeGreaterThan(0);
    for (const s of fromEu) for (const a of [s.Action].flat()) expect(a).toMatch(/^s3:(Get|List)/);
    // Both the access point and the bucket behind it must allow each read.
    const reads = fromEu.find((s) => [s.Action].flat().includes('s3:GetObject'))!;
    expect([reads.Resource].flat()).toContain(`${remote}/object/*`);
    const lists = fromEu.find((s) => [s.Action].flat().includes(S3_ACCESS_POINTS.missingKeyNeeds));
    expect([lists!.Resource].flat()).toContain(remote);
    const fromUs = touching(useast, 'eu-west-1');
    expect(fromUs.some((s) => [s.Action].flat().some((a) => a.startsWith('s3:DeleteObject')))).toBe(
      true,
    );
  });

  it('reads storage in the configured per-region order', () => {
    const regional = synth({
      regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
      storagePreference: { 'eu-west-1': ['eu-west-1', 'ap-southeast-2', 'us-east-1'] },
    }).regional[1]!;
    regional.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DISTRIBUTED_STORAGE_PREFERENCE: 'eu-west-1,ap-southeast-2,us-east-1',
        }),
      },
    });
  });
});

describe('the upload data plane', () => {
  it('sits behind an internal load balancer that only CloudFront reaches, in private subnets', () => {
    for (const template of [useast, euwest]) {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Scheme: 'internal',
        LoadBalancerAttributes: Match.arrayWith([
          { Key: 'idle_timeout.timeout_seconds', Value: '4000' },
        ]),
      });
      const inbound = [
        ...Object.values(template.findResources('AWS::EC2::SecurityGroupIngress') as Resources).map(
          (r) => r.Properties,
        ),
        ...Object.values(template.findResources('AWS::EC2::SecurityGroup') as Resources).flatMap(
          (g) => (g.Properties.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? [],
        ),
      ];
      expect(inbound.filter((rule) => rule.CidrIp === '0.0.0.0/0')).toEqual([]);
      expect(inbound).toContainEqual(
        expect.objectContaining({
          SourcePrefixListId: expect.anything(),
          FromPort: 80,
          ToPort: 80,
        }),
      );
      // The prefix list is looked up when the stack deploys, so synth needs no AWS.
      expect(JSON.stringify(template.toJSON())).toContain(
        'com.amazonaws.global.cloudfront.origin-facing',
      );
    }
  });

  it('drains a task for its uploads before stopping it, and scales on requests as well as CPU', () => {
    useast.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: '900' },
      ]),
      HealthCheckPath: '/v2/',
      Matcher: { HttpCode: '200,401' },
    });
    useast.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          StopTimeout: 120,
          Environment: Match.arrayWith([
            { Name: 'BERTH_VIEWER_HOST_HEADER', Value: 'x-berth-viewer-host' },
            { Name: 'BERTH_CLIENT_ADDRESS_HEADER', Value: 'x-berth-viewer-address' },
            { Name: 'PREFERRED_URL_SCHEME', Value: 'https' },
            { Name: 'SERVER_HOSTNAME', Value: 'registry.example.com' },
          ]),
        }),
      ],
    });
    const metrics = Object.values(
      useast.findResources('AWS::ApplicationAutoScaling::ScalingPolicy') as Resources,
    ).map(
      (p) =>
        (
          p.Properties.TargetTrackingScalingPolicyConfiguration as {
            PredefinedMetricSpecification: { PredefinedMetricType: string };
          }
        ).PredefinedMetricSpecification.PredefinedMetricType,
    );
    expect(metrics.sort()).toEqual(['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization']);
    const scaled = synth({
      regions: ['us-east-1'],
      dataPlane: { minTasks: 2, maxTasks: 6, drainSeconds: 3600 },
    }).regional[0]!;
    scaled.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 6,
    });
    scaled.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: '3600' },
      ]),
    });
  });
});

describe('housekeeping and jobs', () => {
  const rulesOf = (template: Template) =>
    Object.values(template.findResources('AWS::Events::Rule') as Resources);

  it('runs every periodic task at once in the first region, and the upload sweep and replication in the others, at the same minute', () => {
    const [first] = rulesOf(useast);
    const [other] = rulesOf(euwest);
    expect(rulesOf(useast)).toHaveLength(1);
    expect(rulesOf(euwest)).toHaveLength(1);
    for (const rule of [first!, other!]) {
      expect(rule.Properties.ScheduleExpression).toBe('cron(7 0/6 * * ? *)');
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          RetryPolicy: { MaximumRetryAttempts: 2 },
          DeadLetterConfig: { Arn: expect.anything() },
        }),
      ]);
    }
    expect(JSON.stringify(first!.Properties.Targets)).toContain('\\"task\\":\\"housekeeping\\"');
    expect(JSON.stringify(other!.Properties.Targets)).toContain(
      '\\"task\\":\\"regional-housekeeping\\"',
    );
    const daily = rulesOf(synth({ regions: ['us-east-1'], housekeepingHours: 24 }).regional[0]!);
    expect(daily.map((r) => r.Properties.ScheduleExpression)).toEqual(['cron(7 0 * * ? *)']);
  });

  it('sends a scheduled function that failed after its retries to a dead-letter queue, and alarms on every such queue', () => {
    for (const template of [useast, euwest]) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      });
    }
    const queues = (template: Template) =>
      Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) =>
        id.includes('DeadLetters'),
      );
    const alarms = (template: Template) =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources);
    // Scheduled tasks, jobs (first region only) and replication (each region of several).
    expect(queues(useast)).toHaveLength(3);
    expect(alarms(useast)).toHaveLength(3);
    expect(queues(euwest)).toHaveLength(2);
    expect(alarms(euwest)).toHaveLength(2);
    for (const alarm of alarms(useast)) {
      expect(alarm.Properties).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    const mailed = synth({ regions: ['us-east-1'], alarmEmail: 'ops@example.com' }).regional[0]!;
    mailed.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    mailed.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [Match.anyValue()] });
  });

  it('carries jobs through SQS to a 15-minute job worker that reports partial batch failures, in the first region', () => {
    const [[workerId, worker]] = byId(functionsOf(useast), 'JobWorker') as [[string, Resource]];
    expect(worker.Properties.Timeout).toBe(900);
    const [[jobsId, jobs]] = Object.entries(
      useast.findResources('AWS::SQS::Queue') as Resources,
    ).filter(([id]) => id.includes('Jobs') && !id.includes('DeadLetters')) as [[string, Resource]];
    expect(jobs.Properties.VisibilityTimeout).toBeGreaterThan(900);
    expect(jobs.Properties.RedrivePolicy).toMatchObject({ maxReceiveCount: 3 });
    useast.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: workerId },
      EventSourceArn: { 'Fn::GetAtt': [jobsId, 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    const mappings = Object.values(
      euwest.findResources('AWS::Lambda::EventSourceMapping') as Resources,
    );
    expect(JSON.stringify(mappings)).not.toContain('JobWorker');
  });

  it('gives every region of several a replication worker on a queue the others can name and send to', () => {
    for (const template of [useast, euwest]) {
      const [[queueId, queue]] = Object.entries(
        template.findResources('AWS::SQS::Queue') as Resources,
      ).filter(([id]) => id.startsWith('ReplicationQueue')) as [[string, Resource]];
      expect(queue.Properties.QueueName).toBe('berth-replication');
      expect(queue.Properties.QueueName).toMatch(SQS_QUEUES.name);
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThan(900);
      const [[workerId, worker]] = byId(functionsOf(template), 'ReplicationWorker') as [
        [string, Resource],
      ];
      expect(worker.Properties.Timeout).toBe(900);
      const concurrency = 2;
      expect(concurrency).toBeGreaterThanOrEqual(LAMBDA_SQS_SCALING.maximumConcurrency.min);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: workerId },
        EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: concurrency },
      });
      // The data plane, where pushes land, names every region's queue and may send to each.
      const [[, task]] = Object.entries(
        template.findResources('AWS::ECS::TaskDefinition') as Resources,
      ) as [[string, Resource]];
      const env = JSON.stringify(task.Properties.ContainerDefinitions);
      expect(env).toContain('FEATURE_STORAGE_REPLICATION');
      expect(env).toContain('BERTH_REPLICATION_QUEUES');
      // Each region names the others' queues as SQS documents queue URLs and ARNs.
      for (const other of ['us-east-1', 'eu-west-1']) {
        expect(env).toContain(SQS_QUEUES.url(other, '123456789012', 'berth-replication'));
      }
      const sends = statementsOf(template).filter((s) =>
        [s.Action].flat().includes('sqs:SendMessage'),
      );
      const resources = JSON.stringify(sends.map((s) => s.Resource));
      for (const other of ['us-east-1', 'eu-west-1']) {
        expect(resources).toContain(SQS_QUEUES.arn(other, '123456789012', 'berth-replication'));
      }
    }
    // One region replicates to nobody.
    const single = synth({ regions: ['us-east-1'] }).regional[0]!;
    expect(
      Object.keys(single.findResources('AWS::SQS::Queue')).filter((id) =>
        id.startsWith('Replication'),
      ),
    ).toEqual([]);
  });

  it('lets EventBridge Scheduler send woken tasks to the queue, and the functions that wake arm only their own schedules', () => {
    useast.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Effect: 'Allow' }),
        ],
      },
    });
    const armers = Object.entries(functionsOf(useast)).filter(([, f]) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('BERTH_WAKEUP_ROLE_ARN'),
    );
    expect(armers.map(([id]) => id.replace(/[A-F0-9]{8}$/, '')).sort()).toEqual([
      'ApiRestApi',
      'HousekeepingJobWorker',
      'HousekeepingScheduledTasks',
    ]);
    const scheduling = statementsOf(useast).filter((s) =>
      [s.Action].flat().includes('scheduler:CreateSchedule'),
    );
    expect(scheduling.length).toBe(3);
    for (const s of scheduling) {
      expect(JSON.stringify(s.Resource)).toContain(':schedule/default/berth-wakeup-*');
    }
  });

  it('grants every function and task only named resources', () => {
    // Without resource-level permissions in IAM, these take "*".
    const unscoped = new Set(['ecr:GetAuthorizationToken', 'ec2:DescribeManagedPrefixLists']);
    for (const template of [primary, useast, euwest, edge]) {
      for (const statement of statementsOf(template)) {
        if (![statement.Resource].flat().includes('*')) continue;
        for (const action of [statement.Action].flat()) expect(unscoped, action).toContain(action);
      }
    }
  });
});

describe('notifications', () => {
  const envOf = (template: Template, part: string) =>
    (
      byId(functionsOf(template), part)[0]![1].Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
  const sendsOf = (template: Template, action: string) =>
    statementsOf(template).filter((s) => [s.Action].flat().includes(action));

  it('lets the registry and REST functions wake the job worker on the job queue, which takes per-message delays', () => {
    const [[jobsId, jobs]] = Object.entries(
      useast.findResources('AWS::SQS::Queue') as Resources,
    ).filter(([id]) => id.includes('Jobs') && !id.includes('DeadLetters')) as [[string, Resource]];
    // Per-message DelaySeconds, what a retry's wakeup asks for, is for standard queues only.
    expect(jobs.Properties.FifoQueue).toBeUndefined();
    for (const fn of ['ApiRegistryApi', 'ApiRestApi']) {
      expect(envOf(useast, fn).BERTH_JOB_QUEUE_URL).toEqual({ Ref: jobsId });
    }
    const grants = JSON.stringify(sendsOf(useast, 'sqs:SendMessage').map((s) => s.Resource));
    expect(grants).toContain(jobsId);
    // The registry function wakes nothing else: no Scheduler permissions.
    expect(envOf(useast, 'ApiRegistryApi').BERTH_WAKEUP_ROLE_ARN).toBeUndefined();
    // Event URLs name the registry's domain where notifications are sent from.
    expect(envOf(useast, 'JobWorker').SERVER_HOSTNAME).toBe('registry.example.com');
  });

  it('publishes to an event bus and mails through SES only when configured, with grants named by AWS', () => {
    // Without settings: no bus, e-mail off.
    expect(envOf(useast, 'JobWorker').BERTH_EVENT_BUS_NAME).toBeUndefined();
    expect(envOf(useast, 'JobWorker').FEATURE_MAILING).toBe('false');
    expect(sendsOf(useast, EVENTBRIDGE_PUT_EVENTS.action)).toEqual([]);
    expect(sendsOf(useast, SES_SENDING.action)).toEqual([]);

    const custom = synth({
      regions: ['us-east-1'],
      notifications: { eventBus: 'registry-events', mailSender: 'registry@example.com' },
    }).regional[0]!;
    custom.hasResourceProperties('AWS::Events::EventBus', { Name: 'registry-events' });
    const [busId] = Object.keys(custom.findResources('AWS::Events::EventBus'));
    for (const fn of ['JobWorker', 'ScheduledTasks']) {
      expect(envOf(custom, fn)).toMatchObject({
        BERTH_EVENT_BUS_NAME: { Ref: busId },
        FEATURE_MAILING: 'true',
        MAIL_DEFAULT_SENDER: 'registry@example.com',
      });
    }
    // The REST function mails address confirmations, and publishes nothing.
    expect(envOf(custom, 'ApiRestApi')).toMatchObject({ FEATURE_MAILING: 'true' });
    expect(envOf(custom, 'ApiRestApi').BERTH_EVENT_BUS_NAME).toBeUndefined();
    // The registry function knows the bus, to wake the publisher after each push, but may not put.
    expect(envOf(custom, 'ApiRegistryApi').BERTH_EVENT_BUS_NAME).toEqual({ Ref: busId });
    const puts = sendsOf(custom, EVENTBRIDGE_PUT_EVENTS.action);
    expect(puts.length).toBe(2);
    for (const put of puts) expect(put.Resource).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    const mails = sendsOf(custom, SES_SENDING.action);
    expect(mails.length).toBe(3);
    for (const mail of mails) {
      expect(mail.Resource).toBe(SES_SENDING.identityArn('us-east-1', '123456789012', '*'));
    }

    const defaultBus = synth({ regions: ['us-east-1'], notifications: { eventBus: 'default' } })
      .regional[0]!;
    defaultBus.resourceCountIs('AWS::Events::EventBus', 0);
    expect(envOf(defaultBus, 'JobWorker').BERTH_EVENT_BUS_NAME).toBe('default');
    expect(sendsOf(defaultBus, EVENTBRIDGE_PUT_EVENTS.action)[0]!.Resource).toBe(
      EVENTBRIDGE_PUT_EVENTS.busArn('us-east-1', '123456789012', 'default'),
    );
  });
});

describe('the front door', () => {
  it('is one distribution for the whole deployment, on the domain, HTTPS only', () => {
    useast.resourceCountIs('AWS::CloudFront::Distribution', 0);
    euwest.resourceCountIs('AWS::CloudFront::Distribution', 0);
    edge.resourceCountIs('AWS::CloudFront::Distribution', 1);
    const config = distributionConfig(edge);
    expect(config.Aliases).toEqual(['registry.example.com']);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('https-only');
  });

  it('reaches the functions over HTTPS with the origin secret, resolved from Secrets Manager at deploy time', () => {
    const config = distributionConfig(edge);
    const registry = config.Origins.find((o) => o.Id === 'registry-api')!;
    const rest = config.Origins.find((o) => o.Id === 'rest-api')!;
    for (const origin of [registry, rest]) {
      expect(origin.CustomOriginConfig?.OriginProtocolPolicy).toBe('https-only');
      expect(JSON.stringify(origin.DomainName)).toContain('FunctionUrl');
      const [header] = origin.OriginCustomHeaders!;
      expect(header!.HeaderName).toBe('x-berth-origin-verify');
      expect(JSON.stringify(header!.HeaderValue)).toContain('{{resolve:secretsmanager:');
    }
    // In no export and no function code: only a reference crosses the stacks.
    expect(JSON.stringify(edge.findResources('AWS::CloudFront::Function'))).not.toContain(
      "x-berth-origin-verify':",
    );
    for (const pattern of REST_PATH_PATTERNS) {
      expect(config.CacheBehaviors.find((b) => b.PathPattern === pattern)?.TargetOriginId).toBe(
        'rest-api',
      );
    }
    for (const pattern of REGISTRY_PATH_PATTERNS) {
      expect(config.CacheBehaviors.find((b) => b.PathPattern === pattern)?.TargetOriginId).toBe(
        'registry-api',
      );
    }
    // The console's session cookie must reach the functions: the policy forwards every cookie.
    expect(CLOUDFRONT_ORIGIN_REQUESTS.forwardsAllCookies).toBe(true);
    for (const pattern of [...REST_PATH_PATTERNS, ...REGISTRY_PATH_PATTERNS]) {
      expect(
        config.CacheBehaviors.find((b) => b.PathPattern === pattern)?.OriginRequestPolicyId,
      ).toBe(CLOUDFRONT_ORIGIN_REQUESTS.allViewerExceptHostHeaderId);
    }
    // Uploads and blob reads are matched before the registry function's `/v2/*`.
    const patterns = config.CacheBehaviors.map((b) => b.PathPattern);
    expect(patterns.indexOf(UPLOAD_PATH_PATTERN)).toBeLessThan(patterns.indexOf('/v2/*'));
    expect(patterns.indexOf(BLOB_PATH_PATTERN)).toBeLessThan(patterns.indexOf('/v2/*'));
  });

  it("reaches every region's data plane through a VPC origin, never plain HTTP over the internet", () => {
    const config = distributionConfig(edge);
    const vpcOrigins = config.Origins.filter((o) => o.VpcOriginConfig);
    expect(vpcOrigins.map((o) => o.Id).sort()).toEqual(['uploads-eu-west-1', 'uploads-us-east-1']);
    expect(
      config.Origins.some((o) => o.CustomOriginConfig?.OriginProtocolPolicy === 'http-only'),
    ).toBe(false);
    edge.resourceCountIs('AWS::CloudFront::VpcOrigin', 2);
    edge.hasResourceProperties('AWS::CloudFront::VpcOrigin', {
      VpcOriginEndpointConfig: Match.objectLike({
        HTTPPort: 80,
        OriginProtocolPolicy: 'http-only',
      }),
    });
    const uploads = config.CacheBehaviors.find((b) => b.PathPattern === UPLOAD_PATH_PATTERN)!;
    expect(uploads.TargetOriginId).toBe('uploads-us-east-1');
    expect(uploads.AllowedMethods).toEqual(
      expect.arrayContaining(['PATCH', 'PUT', 'POST', 'DELETE']),
    );
    // With two regions, the nearest region's data plane redirects a blob read to its own copy.
    expect(
      config.CacheBehaviors.find((b) => b.PathPattern === BLOB_PATH_PATTERN)?.TargetOriginId,
    ).toBe('uploads-us-east-1');
    edge.hasResourceProperties('AWS::CloudFront::OriginRequestPolicy', {
      OriginRequestPolicyConfig: Match.objectLike({
        HeadersConfig: {
          HeaderBehavior: 'allViewerAndWhitelistCloudFront',
          Headers: ['CloudFront-Viewer-Latitude', 'CloudFront-Viewer-Longitude'],
        },
      }),
    });
    const [fn] = Object.values(edge.findResources('AWS::CloudFront::Function') as Resources);
    expect(fn!.Properties.FunctionConfig).toMatchObject({ Runtime: 'cloudfront-js-2.0' });
    const code = JSON.stringify(fn!.Properties.FunctionCode);
    expect(code).toContain('cf.selectRequestOriginById');
    expect(code).toContain('uploads-eu-west-1');
    expect(code).not.toContain('x-forwarded-proto');
  });

  it('sends blob reads to the data plane too in storage proxy mode, never to a buffered function', () => {
    // One region without proxying: blob reads are the registry function's redirects.
    const single = distributionConfig(synth({ regions: ['us-east-1'] }).edge);
    expect(single.CacheBehaviors.some((b) => b.PathPattern === BLOB_PATH_PATTERN)).toBe(false);
    const proxied = synth({ regions: ['us-east-1'], proxyStorage: true }).edge;
    const config = distributionConfig(proxied);
    expect(
      config.CacheBehaviors.find((b) => b.PathPattern === BLOB_PATH_PATTERN)?.TargetOriginId,
    ).toBe('uploads-us-east-1');
    // Uploads are matched first: CloudFront takes behaviors in order.
    const patterns = config.CacheBehaviors.map((b) => b.PathPattern);
    expect(patterns.indexOf(UPLOAD_PATH_PATTERN)).toBeLessThan(patterns.indexOf(BLOB_PATH_PATTERN));
  });

  it('adds a WAF rate rule when asked, and re-reads the origin secret when its rotation count changes', () => {
    const guarded = synth({
      regions: ['us-east-1'],
      wafRateLimit: 2000,
      originSecretRotation: 3,
    }).edge;
    guarded.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      Rules: [
        Match.objectLike({
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP' } },
        }),
      ],
    });
    const config = distributionConfig(guarded);
    expect(config.WebACLId).toBeDefined();
    expect(config.Comment).toContain('origin secret 3');
    expect(() => synth({ regions: ['eu-west-1'], wafRateLimit: 2000 })).toThrow('us-east-1');
  });
});

/**
 * What costs money by the hour whatever the traffic, counted in the
 * templates the way the README's idle-cost table prices it. A resource of
 * a type the table does not price, added to a stack, fails this test until
 * the table (and this count) say what it costs.
 */
describe("the README's idle-cost table", () => {
  const HOURLY_TYPES = [
    'AWS::ElasticLoadBalancingV2::LoadBalancer',
    'AWS::ECS::Service',
    'AWS::SecretsManager::Secret',
    'AWS::KMS::Key',
    'AWS::CloudWatch::Alarm',
    'AWS::ApplicationAutoScaling::ScalingPolicy',
    'AWS::RDS::DBInstance',
    'AWS::WAFv2::WebACL',
    'AWS::EC2::NatGateway',
    'AWS::EC2::VPCEndpoint',
    'AWS::EC2::EIP',
    'AWS::ElastiCache::CacheCluster',
    'AWS::ElastiCache::ServerlessCache',
  ];
  const hourly = (template: Template) => {
    const counts: Record<string, number> = {};
    for (const type of HOURLY_TYPES) {
      const n = Object.keys(template.findResources(type)).length;
      if (n) counts[type] = n;
    }
    return counts;
  };

  it('prices every always-on component the templates create, and only those', async () => {
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('### What it costs when idle'));
    expect(hourly(primary)).toEqual({
      'AWS::SecretsManager::Secret': 4,
      'AWS::KMS::Key': 1,
      'AWS::RDS::DBInstance': 1,
    });
    expect(hourly(useast)).toEqual({
      'AWS::ElasticLoadBalancingV2::LoadBalancer': 1,
      'AWS::ECS::Service': 1,
      // The three dead-letter queues' (scheduled tasks, jobs, replication);
      // each scaling policy makes two alarms of its own.
      'AWS::CloudWatch::Alarm': 3,
      'AWS::ApplicationAutoScaling::ScalingPolicy': 2,
    });
    expect(hourly(euwest)).toEqual({
      'AWS::ElasticLoadBalancingV2::LoadBalancer': 1,
      'AWS::ECS::Service': 1,
      'AWS::CloudWatch::Alarm': 2,
      'AWS::ApplicationAutoScaling::ScalingPolicy': 2,
    });
    expect(hourly(edge)).toEqual({});
    expect(table).toMatch(
      /4 of the two scaling policies, 1–2 dead-letter, 1 more for replication when there are several regions/,
    );
    expect(table).toMatch(
      /Secrets Manager: database credentials, signing secret, admin password, origin secret/,
    );
    expect(table).toMatch(/each further region \(balancer, task, address, 6 alarms\)/);

    // The sizes the figures are for: one 0.5 vCPU, 1 GiB ARM64 task with its
    // own public address, behind an internal balancer; Aurora that pauses.
    useast.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }),
      },
    });
    useast.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '512',
      Memory: '1024',
      RuntimePlatform: Match.objectLike({ CpuArchitecture: 'ARM64' }),
    });
    useast.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
    });
    expect(table).toMatch(/Application Load Balancer, internal/);
    expect(table).toMatch(/Fargate task, 0\.5 vCPU and 1 GiB, ARM64/);
    expect(table).toMatch(/public IPv4 address of that task/);
    primary.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: {
        MinCapacity: 0,
        MaxCapacity: 4,
        SecondsUntilAutoPause: 300,
      },
    });
    expect(table).toMatch(/paused at 0 ACU; woken by housekeeping 4 times a day/);
    useast.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(7 0/6 * * ? *)',
    });

    const guarded = synth({ regions: ['us-east-1'], wafRateLimit: 2000 });
    expect(hourly(guarded.edge)).toEqual({ 'AWS::WAFv2::WebACL': 1 });
    expect(table).toMatch(/`wafRateLimit` \(one web ACL and one rule\)/);
  });
});

describe('the web console on AWS', () => {
  it('is the default behavior: a private bucket only the distribution reads, cached and compressed, no Lambda per page', () => {
    const config = distributionConfig(edge);
    const behavior = config.DefaultCacheBehavior;
    const origin = config.Origins.find((o) => o.Id === behavior.TargetOriginId) as unknown as {
      S3OriginConfig?: { OriginAccessIdentity: string };
      OriginAccessControlId?: unknown;
    };
    expect(origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    expect(origin.OriginAccessControlId).toBeDefined();
    expect(behavior.ViewerProtocolPolicy).toBe('https-only');
    expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    // CloudFront's managed CachingOptimized policy: compression, and the origin's Cache-Control honoured.
    expect(behavior.CachePolicyId).toBe(CLOUDFRONT_STATIC_CONSOLE.cachingOptimizedPolicyId);
    expect(behavior.LambdaFunctionAssociations ?? []).toEqual([]);
    expect(behavior.FunctionAssociations).toHaveLength(1);
    edge.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const policies = Object.values(edge.findResources('AWS::S3::BucketPolicy') as Resources);
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    const read = statements.find(
      (st) =>
        JSON.stringify(st.Principal) ===
        JSON.stringify({ Service: CLOUDFRONT_STATIC_CONSOLE.oacPrincipal }),
    )!;
    expect(read.Action).toBe('s3:GetObject');
    expect(JSON.stringify(read.Condition)).toContain('AWS:SourceArn');
  });

  it('sends the headers the local server sends with the console', () => {
    edge.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: {
            ContentSecurityPolicy: CONSOLE_HEADERS['Content-Security-Policy'],
            Override: true,
          },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ContentTypeOptions: { Override: true },
        }),
      }),
    });
  });

  it('deploys the build: assets cached for a year, index.html revalidated, with no invalidation grant', () => {
    const deployments = Object.values(
      edge.findResources('Custom::CDKBucketDeployment') as Resources,
    ).map((d) => d.Properties);
    expect(deployments).toHaveLength(2);
    const [assets, index] = [0, 1].map((i) =>
      deployments.find((d) =>
        JSON.stringify(d.SystemMetadata).includes(i === 0 ? 'immutable' : 'no-cache'),
      ),
    );
    expect(assets!.SystemMetadata).toMatchObject({
      'cache-control': 'public, max-age=31536000, immutable',
    });
    expect(assets!.Prune).toBe(false);
    expect(index!.SystemMetadata).toMatchObject({ 'cache-control': 'no-cache' });
    // `no-cache` lives one minimum TTL of the cache policy at the edge: no invalidation needed.
    expect(CLOUDFRONT_STATIC_CONSOLE.cachingOptimizedMinTtlSeconds).toBe(1);
    expect(index!.DistributionPaths).toBeUndefined();
  });
});
