import { join } from 'node:path';
import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '../edge/front-door-function.js';
import { UPLOAD_PATH_PATTERN, type RegionOrigins } from './edge-stack.js';
import { BerthFunction } from '../constructs/berth-function.js';
import {
  RegistryStorage,
  type MetadataDatabase,
  type StoredSecret,
} from '../constructs/bindings.js';
import { SCHEDULED_TASKS, type ScheduledTaskName } from '../../shared/workers/scheduled-tasks.js';
import { blobBucketName, storageOrder, type DeployConfig } from '../deploy-config.js';

export interface RegionalStackProps extends StackProps {
  config: DeployConfig;
  bundleDir: string;
  database: MetadataDatabase;
  registrySecret: StoredSecret;
  /**
   * Whether this region runs the namespace-wide workers (auto-prune, quota
   * backfill, garbage collection); one region does, on the shared database.
   */
  runsHousekeeping: boolean;
}

/** Served by the REST function (the API and its OAuth endpoints); the rest by the registry function. */
export const REST_PREFIXES = ['/api/v1', '/oauth'];
const DATA_PLANE_PORT = 8080;

/**
 * Token realms must name the host clients use. With a domain name that is
 * SERVER_HOSTNAME; without one, CloudFront's own name, which the front
 * door's function passes on as `X-Forwarded-Host` (CloudFront replaces Host).
 */
function publicHost(config: DeployConfig): Record<string, string> {
  return config.domainName
    ? { SERVER_HOSTNAME: config.domainName, PREFERRED_URL_SCHEME: 'https' }
    : {};
}

/**
 * One region: its blob bucket, the registry and REST Lambdas behind an API
 * Gateway HTTP API, the upload data plane (ECS Fargate behind an ALB), and
 * the workers. The edge stack's distribution joins every region's origins
 * on one host name.
 */
export class RegionalStack extends Stack {
  /** What the front door routes to in this region. */
  readonly origins: RegionOrigins;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, props);
    const { config } = props;
    const region = Stack.of(this).region;
    const account = Stack.of(this).account;

    const bucket = new s3.Bucket(this, 'Blobs', {
      bucketName: blobBucketName(account, region),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [
        // A client that vanishes mid-push leaves parts S3 would bill forever.
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Staging keys of upload sessions nobody finished or cancelled.
        { id: 'expire-abandoned-uploads', prefix: 'uploads/', expiration: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const storage = new RegistryStorage(
      this,
      region,
      bucket,
      storageOrder(config, region)
        .slice(1)
        .map((r) => ({ region: r, bucketName: blobBucketName(account, r) })),
      config.proxyStorage,
    );

    // An HTTP function: the database, storage, the token secret and the public host.
    const httpFunction = (id: string, bundle: 'registry-api' | 'rest-api') => {
      const fn = new BerthFunction(this, id, { bundle, bundleDir: props.bundleDir })
        .bindDatabase(props.database)
        .bindStorage(storage)
        .bindSecret(props.registrySecret);
      for (const [key, value] of Object.entries(publicHost(config))) fn.addEnvironment(key, value);
      return fn;
    };
    const registryFunction = httpFunction('RegistryApi', 'registry-api');
    const api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Berth registry (/v2) and REST API (/api/v1)',
      defaultIntegration: new HttpLambdaIntegration('Registry', registryFunction, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    // The REST API is its own function, so the registry's cold starts stay small.
    const restFunction = httpFunction('RestApi', 'rest-api');
    const restIntegration = new HttpLambdaIntegration('Rest', restFunction, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    for (const prefix of REST_PREFIXES) {
      api.addRoutes({
        path: `${prefix}/{proxy+}`,
        methods: [apigwv2.HttpMethod.ANY],
        integration: restIntegration,
      });
    }

    const dataPlane = this.dataPlane(props, storage);
    this.scheduledTasks(props, storage);

    // A value unique to this stack, unknown outside it: the ALB serves only
    // requests CloudFront stamped with it.
    const originSecret = Fn.select(2, Fn.split('/', this.stackId));
    dataPlane.listener.addAction('FromCloudFront', {
      priority: 10,
      conditions: [
        elbv2.ListenerCondition.httpHeader(ORIGIN_VERIFY_HEADER, [originSecret]),
        elbv2.ListenerCondition.pathPatterns([UPLOAD_PATH_PATTERN]),
      ],
      action: elbv2.ListenerAction.forward([dataPlane.targetGroup]),
    });

    this.origins = {
      region,
      apiDomainName: `${api.apiId}.execute-api.${region}.amazonaws.com`,
      domainName: dataPlane.loadBalancer.loadBalancerDnsName,
      originSecret,
    };
    new CfnOutput(this, 'BlobBucket', { value: bucket.bucketName });
  }

  /**
   * Scheduled tasks: abandoned uploads are swept hourly in every region
   * (each cleans its own bucket); auto-prune, quota backfill and garbage
   * collection work on the shared database, so only the housekeeping
   * region runs them, at the configured rates. Deliveries that still fail
   * after retries land in a queue.
   */
  private scheduledTasks(props: RegionalStackProps, storage: RegistryStorage) {
    const fn = new BerthFunction(this, 'ScheduledTasks', {
      bundle: 'scheduled-task',
      bundleDir: props.bundleDir,
      timeout: Duration.minutes(5),
    })
      .bindDatabase(props.database)
      .bindStorage(storage)
      .bindSecret(props.registrySecret);
    if (props.runsHousekeeping) {
      storage.grantDeleteEverywhere(fn);
      fn.bindJobQueue(this.jobWorker(props, storage));
    }
    const deadLetters = new sqs.Queue(this, 'ScheduledTaskDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const { schedules } = props.config;
    const minutes: Record<ScheduledTaskName, number | null> = {
      'remove-abandoned-uploads': 60,
      autoprune: props.runsHousekeeping ? schedules.autopruneMinutes : null,
      'quota-backfill': props.runsHousekeeping ? schedules.quotaBackfillMinutes : null,
      'garbage-collection': props.runsHousekeeping ? schedules.garbageCollectionMinutes : null,
      'mirror-schedule': props.runsHousekeeping ? schedules.mirrorScheduleMinutes : null,
    };
    for (const task of Object.keys(SCHEDULED_TASKS) as ScheduledTaskName[]) {
      const every = minutes[task];
      if (every === null) continue;
      new events.Rule(this, `Schedule-${task}`, {
        description: `Berth: ${task}`,
        schedule: events.Schedule.rate(Duration.minutes(every)),
        targets: [
          new targets.LambdaFunction(fn, {
            event: events.RuleTargetInput.fromObject({ task, time: events.EventField.time }),
            retryAttempts: 2,
            deadLetterQueue: deadLetters,
          }),
        ],
      });
    }
  }

  /**
   * The job queue and its worker: one mirror sync per message, run by a
   * Lambda with up to 15 minutes, which hands a long sync on to a new
   * message before its time runs out. Failed jobs retry, then rest in a
   * dead-letter queue. Concurrency is capped so a burst of mirrors cannot
   * starve the registry's own functions.
   */
  private jobWorker(props: RegionalStackProps, storage: RegistryStorage): sqs.Queue {
    const timeout = Duration.minutes(15);
    const deadLetters = new sqs.Queue(this, 'JobDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const queue = new sqs.Queue(this, 'Jobs', {
      // Longer than the worker may run, or a job in progress would be handed out twice.
      visibilityTimeout: Duration.minutes(20),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 },
    });
    const worker = new BerthFunction(this, 'JobWorker', {
      bundle: 'job-worker',
      bundleDir: props.bundleDir,
      timeout,
    })
      .bindDatabase(props.database)
      .bindStorage(storage)
      .bindSecret(props.registrySecret)
      .bindJobQueue(queue);
    worker.addEventSource(
      new SqsEventSource(queue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.config.mirrorWorkers,
      }),
    );
    return queue;
  }

  private dataPlane(props: RegionalStackProps, storage: RegistryStorage) {
    const { dataPlane } = props.config;
    // Public subnets and no NAT gateway: tasks pull their image and reach S3
    // and the Data API directly, and only the ALB may talk to them.
    const vpc = new ec2.Vpc(this, 'DataPlaneVpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
    });
    const cluster = new ecs.Cluster(this, 'DataPlaneCluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.DISABLED,
    });
    const task = new ecs.FargateTaskDefinition(this, 'DataPlaneTask', {
      cpu: dataPlane.cpu,
      memoryLimitMiB: dataPlane.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    task.addContainer('registry', {
      image: ecs.ContainerImage.fromAsset(join(props.bundleDir, 'data-plane'), {
        platform: Platform.LINUX_ARM64,
      }),
      portMappings: [{ containerPort: DATA_PLANE_PORT }],
      environment: {
        BERTH_PORT: String(DATA_PLANE_PORT),
        ...props.database.environment(),
        ...storage.environment(),
        ...props.registrySecret.environment(),
        ...publicHost(props.config),
      },
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'data-plane',
        logGroup: new logs.LogGroup(this, 'DataPlaneLogs', {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      }),
    });
    props.database.grantDataApi(task.taskRole);
    storage.grant(task.taskRole);
    props.registrySecret.grantRead(task.taskRole);

    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'DataPlaneLoadBalancer', {
      vpc,
      internetFacing: true,
      // Layers take minutes to stream; the default 60 s idle timeout would cut them.
      idleTimeout: Duration.seconds(4000),
    });
    const listener = loadBalancer.addListener('Http', {
      port: 80,
      open: true,
      defaultAction: elbv2.ListenerAction.fixedResponse(403, {
        contentType: 'application/json',
        messageBody:
          '{"errors":[{"code":"DENIED","message":"not through the registry front door"}]}',
      }),
    });
    const service = new ecs.FargateService(this, 'DataPlane', {
      cluster,
      taskDefinition: task,
      desiredCount: dataPlane.minTasks,
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
    });
    const scaling = service.autoScaleTaskCount({
      minCapacity: dataPlane.minTasks,
      maxCapacity: dataPlane.maxTasks,
    });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    const targetGroup = new elbv2.ApplicationTargetGroup(this, 'DataPlaneTargets', {
      vpc,
      port: DATA_PLANE_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [service],
      healthCheck: { path: '/v2/', healthyHttpCodes: '200,401' },
      deregistrationDelay: Duration.seconds(120),
    });
    return { loadBalancer, listener, targetGroup };
  }
}
