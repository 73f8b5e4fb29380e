import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { ApiFunctions } from '../constructs/api-functions.js';
import {
  NotificationOutlets,
  RegistryStorage,
  type MetadataDatabase,
  type StoredSecret,
} from '../constructs/bindings.js';
import { DataPlane } from '../constructs/data-plane.js';
import { Housekeeping } from '../constructs/housekeeping.js';
import { ReplicationWorker } from '../constructs/replication-worker.js';
import {
  blobAccessPointName,
  blobBucketPrefix,
  replicationQueueName,
  storageOrder,
  type DeployConfig,
} from '../deploy-config.js';

export interface RegionalStackProps extends StackProps {
  config: DeployConfig;
  bundleDir: string;
  database: MetadataDatabase;
  registrySecret: StoredSecret;
  originSecret: StoredSecret;
  /**
   * The first region: it runs the API functions and the namespace-wide
   * workers, beside the shared database. The others hold a bucket and an
   * upload data plane.
   */
  primary: boolean;
}

/** What the front door routes to in one region. */
export interface RegionOrigins {
  region: string;
  /** The data plane's internal load balancer, for the distribution's VPC origin. */
  dataPlane: { loadBalancerArn: string; dnsName: string; securityGroupId: string };
  /** The API functions' URLs, in the first region only. */
  api?: { registry: lambda.IFunctionUrl; rest: lambda.IFunctionUrl };
}

/**
 * Token realms must name the host clients use. With a domain name that is
 * SERVER_HOSTNAME; without one, the viewer's host, which the front door's
 * function passes on in its own header (CloudFront replaces Host).
 */
function publicHost(config: DeployConfig): Record<string, string> {
  return config.domainName ? { SERVER_HOSTNAME: config.domainName } : {};
}

/**
 * The event bus registry events are published to and the mail sender, in
 * the first region, where notifications are sent from: the account's
 * default bus, or one this stack creates under the configured name.
 */
function notificationOutlets(
  scope: Construct,
  config: DeployConfig,
  primary: boolean,
): NotificationOutlets {
  const { eventBus, mailSender } = config.notifications;
  if (!primary || eventBus === undefined) return new NotificationOutlets(undefined, mailSender);
  const { region, account } = Stack.of(scope);
  const bus =
    eventBus === 'default'
      ? { name: 'default', arn: `arn:aws:events:${region}:${account}:event-bus/default` }
      : (() => {
          const created = new events.EventBus(scope, 'Events', { eventBusName: eventBus });
          return { name: created.eventBusName, arn: created.eventBusArn };
        })();
  return new NotificationOutlets(bus, mailSender);
}

/**
 * One region: its blob bucket, the upload data plane (ECS Fargate behind an
 * internal load balancer), housekeeping, and in the first region the API
 * functions and the job worker. The edge stack's distribution joins every
 * region's origins on one host name.
 */
export class RegionalStack extends Stack {
  readonly origins: RegionOrigins;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, props);
    const { config } = props;
    const region = Stack.of(this).region;
    const account = Stack.of(this).account;

    // Unique per stack (the tail of its id), so a deploy after `cdk destroy`
    // does not collide with the bucket the first deployment retained.
    const bucketName = `${blobBucketPrefix(config, account, region)}-${Fn.select(4, Fn.split('-', Fn.select(2, Fn.split('/', this.stackId))))}`;
    const bucket = new s3.Bucket(this, 'Blobs', {
      bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [
        // A client that vanishes mid-push leaves parts S3 would bill forever.
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Staging objects of upload sessions nobody finished or cancelled.
        { id: 'expire-abandoned-uploads', prefix: 'uploads/', expiration: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The other regions read this bucket through its access point. Not
    // retained: a redeploy makes the same name again on the new bucket.
    new s3.CfnAccessPoint(this, 'BlobAccessPoint', {
      bucket: bucket.bucketName,
      name: blobAccessPointName(config),
      publicAccessBlockConfiguration: {
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
    });
    // The bucket lets the account's access points decide (AWS's recommended
    // delegation); IAM policies still say who may use them.
    const throughAccessPoints = { StringEquals: { 's3:DataAccessPointAccount': account } };
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountRootPrincipal()],
        actions: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:DeleteObject',
          's3:DeleteObjectVersion',
        ],
        resources: [bucket.arnForObjects('*')],
        conditions: throughAccessPoints,
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountRootPrincipal()],
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: throughAccessPoints,
      }),
    );
    const storage = new RegistryStorage(
      region,
      bucket,
      storageOrder(config, region)
        .slice(1)
        .map((r) => ({
          region: r,
          accessPointName: blobAccessPointName(config),
          bucketPrefix: blobBucketPrefix(config, account, r),
        })),
      config.proxyStorage,
      config.regions.length > 1 ? { queueName: replicationQueueName(config) } : null,
    );
    const shared = {
      config,
      bundleDir: props.bundleDir,
      database: props.database,
      storage,
      registrySecret: props.registrySecret,
    };

    const dataPlane = new DataPlane(this, 'DataPlane', {
      ...shared,
      publicHost: publicHost(config),
    });
    const replication =
      config.regions.length > 1 ? new ReplicationWorker(this, 'Replication', shared) : undefined;
    const notifications = notificationOutlets(this, config, props.primary);
    const housekeeping = new Housekeeping(this, 'Housekeeping', {
      ...shared,
      notifications,
      publicHost: publicHost(config),
      primary: props.primary,
      ...(replication ? { moreDeadLetters: [replication.deadLetters] } : {}),
    });
    const api =
      props.primary && housekeeping.jobs
        ? new ApiFunctions(this, 'Api', {
            ...shared,
            originSecret: props.originSecret,
            jobs: housekeeping.jobs,
            publicHost: publicHost(config),
            notifications,
          })
        : undefined;

    this.origins = {
      region,
      dataPlane: {
        loadBalancerArn: dataPlane.loadBalancer.loadBalancerArn,
        dnsName: dataPlane.loadBalancer.loadBalancerDnsName,
        securityGroupId: dataPlane.loadBalancer.connections.securityGroups[0]!.securityGroupId,
      },
      ...(api ? { api: { registry: api.registryUrl, rest: api.restUrl } } : {}),
    };
    new CfnOutput(this, 'BlobBucket', { value: bucket.bucketName });
  }
}
