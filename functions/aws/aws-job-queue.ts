import { SQSClient } from '@aws-sdk/client-sqs';
import { QueueWakeups, routedWakeups } from '../../shared/adapters/queue/queue-wakeups.js';
import { SqsJobQueue } from '../../shared/adapters/queue/sqs-job-queue.js';
import type { BerthConfig } from '../../shared/config/config.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import { tickingWakeups, type Wakeups } from '../../shared/ports/wakeups.js';
import type { AwsClients } from './aws-wiring.js';

/** The job queue in the first region, where the job worker runs; null where none is configured. */
export function awsJobQueue(config: BerthConfig, clients: AwsClients = {}): JobQueue | null {
  const url = config.mirror.jobQueueUrl;
  return url ? new SqsJobQueue(clients.sqs ?? new SQSClient({}), url) : null;
}

/**
 * The registry function's only wakeups: the notification worker's, after a
 * push queued deliveries, as a job on the queue. Kept apart from
 * `aws-wakeups.ts` so the registry's bundle carries no Scheduler client.
 * A wakeup SQS refuses is logged, not thrown: the push is stored and its
 * deliveries with it, and housekeeping sends them if nothing wakes sooner.
 */
export function notificationWakeups(queue: JobQueue | null): Wakeups {
  if (!queue) return tickingWakeups;
  const queued = routedWakeups(
    { notifications: new QueueWakeups(queue, systemClock) },
    tickingWakeups,
  );
  return {
    wakeAt: (task, atMs) =>
      queued.wakeAt(task, atMs).catch((error: unknown) => {
        console.error(
          JSON.stringify({ level: 'error', wakeup: task, error: (error as Error).message }),
        );
      }),
  };
}
