import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** The metadata database as functions and tasks see it: its Data API coordinates and the grant to use them. */
export class MetadataDatabase {
  constructor(
    private readonly cluster: rds.DatabaseCluster,
    private readonly databaseName: string,
    private readonly secretsKey: kms.IKey,
  ) {}

  /**
   * `resumeWaitSeconds`: how long a call waits for a paused cluster before
   * the request gets 503; it must end well within the caller's own timeout.
   */
  environment(resumeWaitSeconds: number): Record<string, string> {
    return {
      BERTH_DB_CLUSTER_ARN: this.cluster.clusterArn,
      BERTH_DB_SECRET_ARN: this.cluster.secret!.secretArn,
      BERTH_DB_NAME: this.databaseName,
      BERTH_DB_RESUME_WAIT_SECONDS: String(resumeWaitSeconds),
    };
  }

  /**
   * Identity-based grants only, on the cluster, its secret and the key that
   * encrypts it: the grantee's stack may be in another region, and editing
   * the key's policy from there would tie the stacks in a cycle.
   */
  grantDataApi(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'rds-data:ExecuteStatement',
          'rds-data:BatchExecuteStatement',
          'rds-data:BeginTransaction',
          'rds-data:CommitTransaction',
          'rds-data:RollbackTransaction',
        ],
        resources: [this.cluster.clusterArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [this.cluster.secret!.secretArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.secretsKey.keyArn] }),
    );
  }
}

/**
 * Another region's bucket, known to this one by its access point: the
 * point's name is the same in every region (names are unique per account
 * and region), so its ARN is known without reading the other stack, while
 * the bucket's own name stays unique per stack.
 */
export interface RemoteBucket {
  region: string;
  accessPointName: string;
  /** Every bucket name that region's stack may have made starts with this. */
  bucketPrefix: string;
}

/**
 * Blob storage as one region's functions see it: every region's bucket as a
 * `DISTRIBUTED_STORAGE_CONFIG` location, this region's preferred, read and
 * write here and read-only elsewhere (pulls fall back to the source region
 * while replication is pending). Other regions' buckets are reached through
 * their access points.
 */
export class RegistryStorage {
  constructor(
    private readonly region: string,
    readonly local: s3.IBucket,
    private readonly remote: RemoteBucket[],
    private readonly proxyStorage: boolean,
    /** Geo-replication between the regions' buckets, each region's queue named alike. */
    private readonly replication: { queueName: string } | null = null,
  ) {}

  private queueOf(region: string): { url: string; arn: string } {
    const { account } = Stack.of(this.local);
    const name = this.replication!.queueName;
    return {
      url: `https://sqs.${region}.amazonaws.com/${account}/${name}`,
      arn: `arn:aws:sqs:${region}:${account}:${name}`,
    };
  }

  private get regions(): string[] {
    return [this.region, ...this.remote.map((r) => r.region)];
  }

  private accessPointArn(r: RemoteBucket): string {
    const { account } = Stack.of(this.local);
    return `arn:aws:s3:${r.region}:${account}:accesspoint/${r.accessPointName}`;
  }

  environment(): Record<string, string> {
    const locations: Record<string, [string, Record<string, string>]> = {
      [this.region]: ['S3Storage', { s3_bucket: this.local.bucketName, s3_region: this.region }],
    };
    for (const r of this.remote) {
      locations[r.region] = [
        'S3Storage',
        { s3_bucket: this.accessPointArn(r), s3_region: r.region },
      ];
    }
    const replication: Record<string, string> = this.replication
      ? {
          FEATURE_STORAGE_REPLICATION: 'true',
          DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: this.regions.join(','),
          // A push here wakes the other regions' workers, which fill their own buckets.
          BERTH_REPLICATION_QUEUES: Stack.of(this.local).toJsonString(
            Object.fromEntries(this.regions.map((r) => [r, this.queueOf(r).url])),
          ),
        }
      : {};
    return {
      ...replication,
      DISTRIBUTED_STORAGE_CONFIG: Stack.of(this.local).toJsonString(locations),
      DISTRIBUTED_STORAGE_PREFERENCE: [this.region, ...this.remote.map((r) => r.region)].join(','),
      // Other regions' buckets are read-only here: uploads stay in this region's.
      BERTH_WRITABLE_LOCATIONS: this.region,
      FEATURE_PROXY_STORAGE: String(this.proxyStorage),
    };
  }

  /**
   * A request through an access point is allowed only if both the point and
   * the bucket allow it: the identity policy names both, the object through
   * the point and the object in whichever bucket that region's stack made.
   */
  private remoteObjects(r: RemoteBucket): string[] {
    return [`${this.accessPointArn(r)}/object/*`, `arn:aws:s3:::${r.bucketPrefix}-*/*`];
  }

  grant(grantee: iam.IGrantable): void {
    this.local.grantReadWrite(grantee);
    this.local.grantDelete(grantee);
    if (this.replication) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['sqs:SendMessage'],
          resources: this.regions.map((r) => this.queueOf(r).arn),
        }),
      );
    }
    for (const r of this.remote) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: this.remoteObjects(r),
        }),
      );
      // Without ListBucket, S3 answers a missing key with 403 rather than
      // 404, and a blob not yet replicated there would look like an outage.
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [this.accessPointArn(r), `arn:aws:s3:::${r.bucketPrefix}-*`],
        }),
      );
    }
  }

  /** Garbage collection removes a blob from every region that holds it. */
  grantDeleteEverywhere(grantee: iam.IGrantable): void {
    for (const r of this.remote) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: this.remoteObjects(r),
        }),
      );
    }
  }
}

/**
 * A Secrets Manager secret a function reads at start, named to it by one
 * environment variable. Grants are identity-based, as for the database, so
 * functions in other regions can read the primary region's secret.
 */
export class StoredSecret {
  constructor(
    readonly secret: secretsmanager.ISecret,
    private readonly key: kms.IKey,
    private readonly variable: string,
  ) {}

  environment(): Record<string, string> {
    return { [this.variable]: this.secret.secretArn };
  }

  grantRead(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.secret.secretArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.key.keyArn] }),
    );
  }
}

/**
 * The job queue and what may be sent through it: jobs directly, and
 * wakeups, one-off EventBridge Scheduler schedules (named `<prefix>-<task>`)
 * that send a task to the queue as `role` when due.
 */
export class JobQueueBinding {
  readonly wakeupPrefix: string;
  readonly role: iam.Role;

  constructor(
    scope: Construct,
    readonly queue: sqs.IQueue,
    readonly deadLetters: sqs.IQueue,
    deploymentName: string,
  ) {
    this.wakeupPrefix = `${deploymentName}-wakeup`;
    this.role = new iam.Role(scope, 'WakeupRole', {
      description: 'Berth: EventBridge Scheduler sends woken tasks to the job queue',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    });
    queue.grantSendMessages(this.role);
    deadLetters.grantSendMessages(this.role);
  }

  /** Lets the function queue jobs (`BERTH_JOB_QUEUE_URL`). */
  grantSend(grantee: iam.IGrantable & { addEnvironment(k: string, v: string): unknown }): void {
    grantee.addEnvironment('BERTH_JOB_QUEUE_URL', this.queue.queueUrl);
    this.queue.grantSendMessages(grantee);
  }

  /** Lets the function arm wakeups (`BERTH_WAKEUP_*`). */
  grantWakeups(grantee: iam.IGrantable & { addEnvironment(k: string, v: string): unknown }): void {
    grantee.addEnvironment('BERTH_WAKEUP_NAME_PREFIX', this.wakeupPrefix);
    grantee.addEnvironment('BERTH_WAKEUP_ROLE_ARN', this.role.roleArn);
    grantee.addEnvironment('BERTH_JOB_QUEUE_ARN', this.queue.queueArn);
    grantee.addEnvironment('BERTH_JOB_DEAD_LETTER_ARN', this.deadLetters.queueArn);
    const { region, account } = Stack.of(this.queue);
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:GetSchedule', 'scheduler:CreateSchedule', 'scheduler:UpdateSchedule'],
        resources: [
          `arn:aws:scheduler:${region}:${account}:schedule/default/${this.wakeupPrefix}-*`,
        ],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [this.role.roleArn] }),
    );
  }
}

/**
 * How the functions that send notifications reach beyond webhooks: the
 * EventBridge bus registry events are published to, and SES for e-mail.
 * Each binds its environment variable and its IAM grant together.
 */
export class NotificationOutlets {
  constructor(
    /** The bus's name and ARN; none when no event is published. */
    private readonly bus: { name: string; arn: string } | undefined,
    /** The verified SES identity mail comes from; none when e-mail is off. */
    private readonly mailSender: string | undefined,
  ) {}

  /**
   * Names the bus to a function that records events without publishing
   * them (the registry function): its pushes then wake the publisher.
   */
  bindBusName(fn: lambda.Function): void {
    if (this.bus) fn.addEnvironment('BERTH_EVENT_BUS_NAME', this.bus.name);
  }

  /** Publishing registry events (`BERTH_EVENT_BUS_NAME`, `events:PutEvents`) and mail. */
  bindPublisher(fn: lambda.Function): void {
    if (this.bus) {
      this.bindBusName(fn);
      fn.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.arn] }),
      );
    }
    this.bindMail(fn);
  }

  /**
   * Mail through SES (`FEATURE_MAILING`, `MAIL_DEFAULT_SENDER`,
   * `ses:SendEmail` on the account's identities in the function's region).
   */
  bindMail(fn: lambda.Function): void {
    fn.addEnvironment('FEATURE_MAILING', this.mailSender ? 'true' : 'false');
    if (!this.mailSender) return;
    fn.addEnvironment('MAIL_DEFAULT_SENDER', this.mailSender);
    const { region, account } = Stack.of(fn);
    fn.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [`arn:aws:ses:${region}:${account}:identity/*`],
      }),
    );
  }
}
