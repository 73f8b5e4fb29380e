import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStacks } from '../../infra/app.js';
import { bundleAll } from '../../infra/bundle.js';
import { parseDeployConfig } from '../../infra/deploy-config.js';
import { UPLOAD_PATH_PATTERN } from '../../infra/stacks/edge-stack.js';
import { MIGRATION_NAMES } from '../../shared/adapters/sql/migrate.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let bundleDir: string;
let primary: Template;
let useast: Template;
let euwest: Template;
let edge: Template;

beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), 'berth-cdk-'));
  await bundleAll(bundleDir);
  const app = new App();
  const config = parseDeployConfig({
    regions: ['us-east-1', 'eu-west-1'],
    domainName: 'registry.example.com',
    certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
  });
  const stacks = buildStacks(app, config, bundleDir, '123456789012');
  primary = Template.fromStack(stacks.primary);
  useast = Template.fromStack(stacks.regional[0]!);
  euwest = Template.fromStack(stacks.regional[1]!);
  edge = Template.fromStack(stacks.edge);
}, 120_000);
afterAll(() => rm(bundleDir, { recursive: true, force: true }));

describe('primary stack', () => {
  it('runs Aurora PostgreSQL Serverless v2 with the Data API, encrypted with its own key', () => {
    primary.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EnableHttpEndpoint: true,
      StorageEncrypted: true,
      KmsKeyId: Match.anyValue(),
      DeletionProtection: true,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4 },
    });
    primary.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    primary.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: Match.anyValue() });
  });

  it('keeps no cache cluster the VPC-less functions could not reach, and no NAT gateway', () => {
    primary.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
    primary.resourceCountIs('AWS::ElastiCache::CacheCluster', 0);
    primary.resourceCountIs('AWS::ElastiCache::ServerlessCache', 0);
    primary.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('migrates the schema on deploy, again whenever a migration is added', () => {
    primary.hasResourceProperties('Custom::BerthMigration', {
      migrations: MIGRATION_NAMES.join(','),
    });
  });
});

describe('secrets', () => {
  it('generates the token-signing secret and the first superuser password, KMS-encrypted', () => {
    for (const description of [
      'Berth: the key registry tokens are signed with',
      'Berth: password of the first superuser (BERTH_SUPERUSER, default admin)',
    ]) {
      primary.hasResourceProperties('AWS::SecretsManager::Secret', {
        Description: description,
        KmsKeyId: Match.anyValue(),
        GenerateSecretString: Match.objectLike({ ExcludePunctuation: true }),
      });
    }
    primary.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          BERTH_SECRET_KEY_ARN: Match.anyValue(),
          BERTH_SUPERUSER_PASSWORD_ARN: Match.anyValue(),
        }),
      },
    });
  });

  it('hands the registry function and the data plane the signing secret and the public host', () => {
    useast.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          BERTH_SECRET_KEY_ARN: Match.anyValue(),
          SERVER_HOSTNAME: 'registry.example.com',
          PREFERRED_URL_SCHEME: 'https',
        }),
      },
    });
    useast.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'BERTH_SECRET_KEY_ARN', Value: Match.anyValue() },
            { Name: 'SERVER_HOSTNAME', Value: 'registry.example.com' },
          ]),
        }),
      ],
    });
    const policies = Object.values(useast.findResources('AWS::IAM::Policy') as Resources);
    const secretReaders = policies.filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'),
    );
    // Registry function, data plane task, scheduled tasks (its database secret).
    expect(secretReaders.length).toBeGreaterThanOrEqual(2);
  });

  it('passes the viewer host to the origins, so token realms name it', () => {
    const [fn] = Object.values(edge.findResources('AWS::CloudFront::Function'));
    expect(JSON.stringify(fn!.Properties)).toContain("request.headers['x-forwarded-host']");
  });
});

describe('regional stack', () => {
  it('keeps blobs in a private, encrypted, TLS-only bucket that expires abandoned uploads', () => {
    useast.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'berth-blobs-123456789012-us-east-1',
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
          Match.objectLike({
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            Status: 'Enabled',
          }),
          Match.objectLike({ Prefix: 'uploads/', ExpirationInDays: 7, Status: 'Enabled' }),
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

  it('serves /v2 from a Node 24 ARM64 Lambda on the Data API and S3', () => {
    useast.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          BERTH_DB_CLUSTER_ARN: Match.anyValue(),
          BERTH_DB_SECRET_ARN: Match.anyValue(),
          DISTRIBUTED_STORAGE_PREFERENCE: 'us-east-1,eu-west-1',
        }),
      },
    });
    useast.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    useast.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });

  it('sends /api/v1 and /oauth to their own REST function and everything else to the registry function', () => {
    const routes = Object.values(useast.findResources('AWS::ApiGatewayV2::Route') as Resources);
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(
      ['ANY /api/v1/{proxy+}', 'ANY /oauth/{proxy+}', '$default'].sort(),
    );
    const functions = useast.findResources('AWS::Lambda::Function') as Resources;
    const codeOf = (id: string) => JSON.stringify(functions[id]!.Properties.Code);
    const rest = Object.keys(functions).find((id) => id.startsWith('RestApi'))!;
    const registry = Object.keys(functions).find((id) => id.startsWith('RegistryApi'))!;
    expect(codeOf(rest)).not.toBe(codeOf(registry));
    expect(functions[rest]!.Properties.Environment).toMatchObject({
      Variables: expect.objectContaining({ BERTH_SECRET_KEY_ARN: expect.anything() }),
    });
  });

  it('sends upload routes, and nothing else, to the Fargate data plane', () => {
    // One distribution for the whole deployment, none per region.
    useast.resourceCountIs('AWS::CloudFront::Distribution', 0);
    euwest.resourceCountIs('AWS::CloudFront::Distribution', 0);
    const distributions = Object.values(
      edge.findResources('AWS::CloudFront::Distribution'),
    ) as Resources[string][];
    expect(distributions).toHaveLength(1);
    const [distribution] = distributions;
    const config = distribution!.Properties.DistributionConfig as {
      Aliases: string[];
      Origins: {
        Id: string;
        DomainName: unknown;
        CustomOriginConfig: { OriginProtocolPolicy: string };
        OriginCustomHeaders?: { HeaderName: string }[];
      }[];
      DefaultCacheBehavior: { TargetOriginId: string; ViewerProtocolPolicy: string };
      CacheBehaviors: { PathPattern: string; TargetOriginId: string; AllowedMethods: string[] }[];
    };
    expect(config.Aliases).toEqual(['registry.example.com']);
    expect(config.CacheBehaviors.map((b) => b.PathPattern)).toEqual([UPLOAD_PATH_PATTERN]);
    const uploadOrigin = config.Origins.find(
      (o) => o.Id === config.CacheBehaviors[0]!.TargetOriginId,
    )!;
    const defaultOrigin = config.Origins.find(
      (o) => o.Id === config.DefaultCacheBehavior.TargetOriginId,
    )!;
    // The first region's load balancer, named across stacks; the function may pick another.
    expect(JSON.stringify(uploadOrigin.DomainName)).toMatch(/DataPlaneLoadBalancer|Reader/);
    expect(uploadOrigin.OriginCustomHeaders?.map((h) => h.HeaderName)).toEqual([
      'x-berth-origin-verify',
    ]);
    expect(JSON.stringify(defaultOrigin.DomainName)).toContain('execute-api');
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('https-only');
    expect(config.CacheBehaviors[0]!.AllowedMethods).toEqual(
      expect.arrayContaining(['PATCH', 'PUT', 'POST', 'DELETE']),
    );

    // Uploads carry the viewer's location, and the function knows every region's data plane.
    edge.hasResourceProperties('AWS::CloudFront::OriginRequestPolicy', {
      OriginRequestPolicyConfig: Match.objectLike({
        HeadersConfig: {
          HeaderBehavior: 'allViewerAndWhitelistCloudFront',
          Headers: ['CloudFront-Viewer-Latitude', 'CloudFront-Viewer-Longitude'],
        },
      }),
    });
    const [fn] = Object.values(edge.findResources('AWS::CloudFront::Function'));
    expect(fn!.Properties.FunctionConfig).toMatchObject({ Runtime: 'cloudfront-js-2.0' });
    const code = JSON.stringify(fn!.Properties.FunctionCode);
    expect(code).toContain('cf.updateRequestOrigin');
    expect(code.match(/"region":"[a-z0-9-]+"|latitude/g)?.length).toBeGreaterThan(0);
    expect(code).toMatch(/-?38\.9.*-77\.4/);
    expect(code).toMatch(/53\.3.*-6\.3/);

    // The load balancer refuses whatever did not come through CloudFront's upload route.
    useast.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      DefaultActions: [
        Match.objectLike({
          Type: 'fixed-response',
          FixedResponseConfig: Match.objectLike({ StatusCode: '403' }),
        }),
      ],
    });
    useast.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: Match.arrayWith([
        Match.objectLike({
          Field: 'http-header',
          HttpHeaderConfig: Match.objectLike({ HttpHeaderName: 'x-berth-origin-verify' }),
        }),
        Match.objectLike({
          Field: 'path-pattern',
          PathPatternConfig: { Values: [UPLOAD_PATH_PATTERN] },
        }),
      ]),
      Actions: [Match.objectLike({ Type: 'forward' })],
    });
    useast.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    useast.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'idle_timeout.timeout_seconds', Value: '4000' },
      ]),
    });
  });

  it('runs each scheduled task hourly, with retries and a dead-letter queue', () => {
    useast.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          InputTransformer: Match.objectLike({
            InputTemplate: Match.stringLikeRegexp('"task":"remove-abandoned-uploads"'),
          }),
          RetryPolicy: { MaximumRetryAttempts: 2 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
    useast.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('runs auto-prune, quota backfill and garbage collection in the first region only, at the configured rates', () => {
    const ruleFor = (template: Template, task: string) =>
      Object.values(template.findResources('AWS::Events::Rule') as Resources).filter((rule) =>
        JSON.stringify(rule.Properties.Targets).includes(`\\"task\\":\\"${task}\\"`),
      );
    for (const [task, rate] of [
      ['autoprune', 'rate(1 minute)'],
      ['quota-backfill', 'rate(5 minutes)'],
      ['garbage-collection', 'rate(1 hour)'],
      ['mirror-schedule', 'rate(1 minute)'],
    ]) {
      const rules = ruleFor(useast, task!);
      expect(rules, task).toHaveLength(1);
      expect(rules[0]!.Properties.ScheduleExpression).toBe(rate);
      expect(ruleFor(euwest, task!), task).toHaveLength(0);
    }
    expect(ruleFor(euwest, 'remove-abandoned-uploads')).toHaveLength(1);
    // Garbage collection deletes a blob from every region's bucket; other regions' functions may not.
    const deletesIn = (template: Template, region: string) =>
      Object.values(template.findResources('AWS::IAM::Policy') as Resources).some((policy) =>
        (
          policy.Properties.PolicyDocument as {
            Statement: { Action: string | string[]; Resource: unknown }[];
          }
        ).Statement.some(
          (st) =>
            [st.Action].flat().some((a) => a.startsWith('s3:DeleteObject')) &&
            JSON.stringify(st.Resource).includes(`berth-blobs-123456789012-${region}`),
        ),
      );
    expect(deletesIn(useast, 'eu-west-1')).toBe(true);
    expect(deletesIn(euwest, 'us-east-1')).toBe(false);
  });

  it('carries mirror sync jobs through SQS to a 15-minute job worker that reports partial batch failures, in the first region', () => {
    const functions = useast.findResources('AWS::Lambda::Function') as Resources;
    const worker = Object.entries(functions).find(([id]) => id.startsWith('JobWorker'))!;
    expect(worker[1].Properties.Timeout).toBe(900);
    const queues = useast.findResources('AWS::SQS::Queue') as Resources;
    const jobs = Object.entries(queues).find(([id]) => id.startsWith('Jobs'))!;
    // Longer than the worker runs, so a job in progress is not handed out twice.
    expect(jobs[1].Properties.VisibilityTimeout).toBeGreaterThan(900);
    expect(jobs[1].Properties.RedrivePolicy).toMatchObject({ maxReceiveCount: 3 });
    useast.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: worker[0] },
      EventSourceArn: { 'Fn::GetAtt': [jobs[0], 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    // The scheduler and the worker (which hands long syncs on) both queue jobs, and know where.
    const queueUrlHolders = Object.values(functions).filter((f) =>
      JSON.stringify(f.Properties.Environment).includes('BERTH_JOB_QUEUE_URL'),
    );
    expect(queueUrlHolders).toHaveLength(2);
    expect(euwest.findResources('AWS::Lambda::EventSourceMapping')).toEqual({});
  });

  it('grants every function and task only named resources', () => {
    for (const template of [primary, useast, euwest]) {
      const policies = template.findResources('AWS::IAM::Policy') as Resources;
      for (const [id, policy] of Object.entries(policies)) {
        const statements = (
          policy.Properties.PolicyDocument as {
            Statement: { Action: string | string[]; Resource: unknown }[];
          }
        ).Statement;
        for (const statement of statements) {
          const actions = [statement.Action].flat();
          const wildcard = [statement.Resource].flat().includes('*');
          // ECR's token call has no resource to name; AWS requires "*" for it.
          if (wildcard) expect(actions, `${id}`).toEqual(['ecr:GetAuthorizationToken']);
        }
      }
    }
  });

  it('reads storage in the configured per-region order', async () => {
    const app = new App();
    const config = parseDeployConfig({
      regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
      storagePreference: { 'eu-west-1': ['eu-west-1', 'ap-southeast-2', 'us-east-1'] },
    });
    const { regional } = buildStacks(app, config, bundleDir, '123456789012');
    Template.fromStack(regional[1]!).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DISTRIBUTED_STORAGE_PREFERENCE: 'eu-west-1,ap-southeast-2,us-east-1',
        }),
      },
    });
  });

  it("lets a region read every other region's bucket but write only its own", () => {
    const [fn] = Object.values(
      euwest.findResources('AWS::Lambda::Function', {
        Properties: {
          Handler: 'index.handler',
          Environment: { Variables: { DISTRIBUTED_STORAGE_PREFERENCE: Match.anyValue() } },
        },
      }),
    ) as Resources[string][];
    const variables = (fn!.Properties.Environment as { Variables: Record<string, string> })
      .Variables;
    expect(variables.DISTRIBUTED_STORAGE_PREFERENCE).toBe('eu-west-1,us-east-1');
    const storageConfig = JSON.stringify(variables.DISTRIBUTED_STORAGE_CONFIG);
    expect(storageConfig).toContain('berth-blobs-123456789012-us-east-1');
    expect(storageConfig).toContain('S3Storage');

    const statements = Object.values(euwest.findResources('AWS::IAM::Policy') as Resources).flatMap(
      (p) =>
        (
          p.Properties.PolicyDocument as {
            Statement: { Action: string | string[]; Resource: unknown }[];
          }
        ).Statement,
    );
    const onRemote = statements.filter((s) =>
      JSON.stringify(s.Resource).includes('berth-blobs-123456789012-us-east-1'),
    );
    expect(onRemote.length).toBeGreaterThan(0);
    for (const statement of onRemote) {
      for (const action of [statement.Action].flat()) expect(action).toMatch(/^s3:(Get|List)/);
    }
  });
});
