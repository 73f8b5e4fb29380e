import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../../shared/config/config.js';
import type { Job } from '../../shared/ports/job-queue.js';
import { handleJob } from '../../shared/workers/jobs.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';
import { buildAwsWorkers } from './aws-workers.js';
import { lazyInit } from './lazy-init.js';

/** Time kept back from Lambda's deadline to save progress and queue the rest. */
const SAFETY_MS = 30_000;

function parseJob(body: string): Job | null {
  try {
    const job = JSON.parse(body) as Partial<Job> & { repositoryId?: unknown; task?: unknown };
    if (job.kind === 'mirror-sync' && Number.isInteger(job.repositoryId)) return job as Job;
    // What a wakeup's schedule sends: a periodic task to run now.
    if (job.kind === 'task' && typeof job.task === 'string') return job as Job;
  } catch {
    // Reported below as a failure: the message goes to the dead-letter queue for a look.
  }
  return null;
}

/**
 * The job worker Lambda, fed by SQS. Reports partial batch failures: a
 * job that throws is retried alone and, after the queue's retries, lands
 * in its dead-letter queue; the others are done. A long sync hands on to a
 * new job before the function's time runs out (see `runMirrorJob`).
 */
export function jobWorkerHandler(workerDeps: () => Promise<WorkerDeps>) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(async (event, context) => {
    const deps = await workerDeps();
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const job = parseJob(record.body);
      const deadlineMs = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS;
      if (!job || Date.now() >= deadlineMs) {
        if (!job)
          console.error(
            JSON.stringify({ level: 'error', messageId: record.messageId, error: 'not a job' }),
          );
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        const result = await handleJob(deps, job, { deadlineMs });
        console.log(
          JSON.stringify({ level: 'info', messageId: record.messageId, job, result: result.kind }),
        );
      } catch (error) {
        console.error(
          JSON.stringify({
            level: 'error',
            messageId: record.messageId,
            requestId: context.awsRequestId,
            error: (error as Error).message,
          }),
        );
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  });
}

export const handler = jobWorkerHandler(lazyInit(() => buildAwsWorkers(loadConfig(process.env))));
