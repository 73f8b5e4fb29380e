import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_JOB_DELAY_MS, type Job, type JobQueue } from '../../ports/job-queue.js';

/** SQS takes at most ten messages per batch. */
const BATCH = 10;

/**
 * The job queue on AWS: jobs are SQS messages, consumed by a Lambda with
 * an event source mapping; failures retry and then land in the queue's
 * dead-letter queue. A batch entry SQS refuses fails the whole send, so
 * the scheduler's tick fails loudly rather than losing a job.
 */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(jobs: Job[], options: { delayMs?: number } = {}): Promise<void> {
    const delay = Math.min(Math.max(options.delayMs ?? 0, 0), MAX_JOB_DELAY_MS);
    // Whole seconds, rounded up: a job must not run before it is due.
    const delaySeconds = delay > 0 ? Math.ceil(delay / 1000) : undefined;
    for (let i = 0; i < jobs.length; i += BATCH) {
      const batch = jobs.slice(i, i + BATCH);
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((job, n) => ({
            Id: String(n),
            MessageBody: JSON.stringify(job),
            ...(delaySeconds ? { DelaySeconds: delaySeconds } : {}),
          })),
        }),
      );
      const failed = result.Failed ?? [];
      if (failed.length > 0) {
        const reasons = failed.map((f) => `${f.Id}: ${f.Code} ${f.Message ?? ''}`.trim());
        throw new Error(`SQS refused ${failed.length} job(s): ${reasons.join('; ')}`);
      }
    }
  }
}
