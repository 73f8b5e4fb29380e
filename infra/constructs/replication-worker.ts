import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeployConfig } from '../deploy-config.js';
import { replicationQueueName } from '../deploy-config.js';
import { BerthFunction } from './berth-function.js';
import type { MetadataDatabase, RegistryStorage, StoredSecret } from './bindings.js';

export interface ReplicationWorkerProps {
  config: DeployConfig;
  bundleDir: string;
  database: MetadataDatabase;
  storage: RegistryStorage;
  registrySecret: StoredSecret;
}

/**
 * One region's geo-replication worker: a queue every region may send to
 * (named alike in each, see `replicationQueueName`) and the job worker
 * Lambda behind it, which copies pending blobs into this region's bucket
 * (its functions write only their own). A push anywhere sends it a
 * `replication` task; each run works through every due copy, so a lost or
 * merged wakeup costs nothing but time, and housekeeping runs it anyway.
 * Two at a time at most (SQS event sources go no lower), one message each.
 */
export class ReplicationWorker extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: ReplicationWorkerProps) {
    super(scope, id);
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: replicationQueueName(props.config),
      // Longer than a run may take, or a run in progress would start twice.
      visibilityTimeout: Duration.minutes(20),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 3 },
    });
    const worker = new BerthFunction(this, 'Worker', {
      bundle: 'job-worker',
      bundleDir: props.bundleDir,
      timeout: Duration.minutes(15),
    })
      .bindDatabase(props.database)
      .bindStorage(props.storage)
      .bindSecret(props.registrySecret);
    worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: 2,
      }),
    );
  }
}
