import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ScheduledTaskName } from '../../shared/workers/scheduled-tasks.js';
import type { DeployConfig } from '../deploy-config.js';
import { BerthFunction } from './berth-function.js';
import {
  JobQueueBinding,
  type NotificationOutlets,
  type MetadataDatabase,
  type RegistryStorage,
  type StoredSecret,
} from './bindings.js';

/** The minute past the hour housekeeping runs at, the same in every region, so the database wakes once. */
export const HOUSEKEEPING_MINUTE = 7;

export interface HousekeepingProps {
  config: DeployConfig;
  bundleDir: string;
  database: MetadataDatabase;
  storage: RegistryStorage;
  registrySecret: StoredSecret;
  /** The first region runs everything on the shared database; the others only sweep their own bucket. */
  primary: boolean;
  /** Other constructs' dead-letter queues, alarmed on with these. */
  moreDeadLetters?: sqs.Queue[];
  /** Where notifications go besides webhooks: the event bus, SES. */
  notifications: NotificationOutlets;
  /** SERVER_HOSTNAME when the deployment has a domain name, for the URLs in event data. */
  publicHost: Record<string, string>;
}

function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  return new sqs.Queue(scope, id, {
    retentionPeriod: Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
}

/**
 * Scheduled work and its failures. Housekeeping runs on one cron in every
 * region at the same minute, every `housekeepingHours`, so an idle
 * registry's database wakes a few times a day and otherwise pauses: the
 * first region runs every periodic task at once, the others sweep their
 * abandoned uploads. In the first region the job queue carries mirror syncs
 * and woken tasks to the job worker. Nothing fails silently: a schedule
 * that cannot invoke, a function that fails after its retries and a job
 * out of receives all land in a dead-letter queue, and an alarm on each
 * queue says so (by mail with `alarmEmail`).
 */
export class Housekeeping extends Construct {
  readonly jobs: JobQueueBinding | undefined;
  readonly deadLetterQueues: sqs.Queue[] = [];

  constructor(scope: Construct, id: string, props: HousekeepingProps) {
    super(scope, id);
    const { config } = props;
    const failures = deadLetterQueue(this, 'ScheduledTaskDeadLetters');
    this.deadLetterQueues.push(failures);
    const fn = new BerthFunction(this, 'ScheduledTasks', {
      bundle: 'scheduled-task',
      bundleDir: props.bundleDir,
      timeout: Duration.minutes(15),
    })
      .bindDatabase(props.database)
      .bindStorage(props.storage)
      .bindSecret(props.registrySecret);
    // EventBridge invokes asynchronously: Lambda retries twice, then gives the event up here.
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new SqsDestination(failures),
    });

    if (props.primary) {
      props.storage.grantDeleteEverywhere(fn);
      this.jobs = this.jobWorker(props);
      fn.bindJobQueue(this.jobs).bindWakeups(this.jobs).bindEnvironment(props.publicHost);
      // Housekeeping sends what waits too: a backstop for deliveries whose wakeup was lost.
      props.notifications.bindPublisher(fn);
    }
    const task: ScheduledTaskName = props.primary ? 'housekeeping' : 'regional-housekeeping';
    new events.Rule(this, 'Schedule', {
      description: `Berth: ${task}, every ${config.housekeepingHours} h`,
      schedule: events.Schedule.expression(
        `cron(${HOUSEKEEPING_MINUTE} ${config.housekeepingHours === 24 ? '0' : `0/${config.housekeepingHours}`} * * ? *)`,
      ),
      targets: [
        new targets.LambdaFunction(fn, {
          event: events.RuleTargetInput.fromObject({ task, time: events.EventField.time }),
          retryAttempts: 2,
          deadLetterQueue: failures,
        }),
      ],
    });
    this.deadLetterQueues.push(...(props.moreDeadLetters ?? []));
    this.alarms(config);
  }

  /**
   * The job queue and its worker: one job per message (a mirror sync, or a
   * woken task), run by a Lambda with up to 15 minutes, which hands a long
   * sync on to a new message before its time runs out. Failed jobs retry,
   * then rest in a dead-letter queue. Concurrency is capped so a burst of
   * mirrors cannot starve the registry's own functions.
   */
  private jobWorker(props: HousekeepingProps): JobQueueBinding {
    const deadLetters = deadLetterQueue(this, 'JobDeadLetters');
    this.deadLetterQueues.push(deadLetters);
    const queue = new sqs.Queue(this, 'Jobs', {
      // Longer than the worker may run, or a job in progress would be handed out twice.
      visibilityTimeout: Duration.minutes(20),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 },
    });
    const jobs = new JobQueueBinding(this, queue, deadLetters, props.config.name);
    const worker = new BerthFunction(this, 'JobWorker', {
      bundle: 'job-worker',
      bundleDir: props.bundleDir,
      timeout: Duration.minutes(15),
    })
      .bindDatabase(props.database)
      .bindStorage(props.storage)
      .bindSecret(props.registrySecret)
      .bindJobQueue(jobs)
      .bindWakeups(jobs)
      .bindEnvironment(props.publicHost);
    props.storage.grantDeleteEverywhere(worker);
    // Notification deliveries run here: webhooks and Slack over the internet, mail, the event bus.
    props.notifications.bindPublisher(worker);
    worker.addEventSource(
      new SqsEventSource(queue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.config.mirrorWorkers,
      }),
    );
    return jobs;
  }

  private alarms(config: DeployConfig) {
    const topic = config.alarmEmail
      ? new sns.Topic(this, 'Alarms', { displayName: 'Berth alarms' })
      : undefined;
    if (topic && config.alarmEmail) {
      topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    }
    for (const queue of this.deadLetterQueues) {
      const alarm = new cloudwatch.Alarm(this, `${queue.node.id}Alarm`, {
        alarmDescription: `Berth: work failed for good and waits in ${queue.node.id}`,
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (topic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    }
  }
}
