import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsJobQueue } from '../../shared/adapters/queue/sqs-job-queue.js';
import type { BerthConfig } from '../../shared/config/config.js';
import { ReplicationNudge } from '../../shared/registry/replication-nudge.js';
import type { AwsClients } from './aws-wiring.js';

/** A push is copied into the other regions by their own workers: this wakes them. */
const NUDGE_GAP_MS = 5_000;

export function replicationNudgeFor(
  config: BerthConfig,
  clients: AwsClients,
  gapMs = NUDGE_GAP_MS,
  now: () => number = Date.now,
): ReplicationNudge | null {
  const own = new Set(config.storage.writable ?? [config.storage.preference[0]]);
  const queues = config.replicateTo
    .filter((location) => !own.has(location) && config.replicationQueues[location])
    .map((location) => {
      const url = config.replicationQueues[location]!;
      // A queue is reached through its own region's endpoint.
      const region = /^https:\/\/sqs\.([a-z0-9-]+)\./.exec(url)?.[1];
      return new SqsJobQueue(clients.sqsFor?.(url) ?? new SQSClient(region ? { region } : {}), url);
    });
  if (queues.length === 0) return null;
  const logFailure = (error: unknown) =>
    console.error(
      JSON.stringify({
        level: 'error',
        message: 'replication wakeup failed',
        error: String(error),
      }),
    );
  return new ReplicationNudge(queues, gapMs, logFailure, now);
}
