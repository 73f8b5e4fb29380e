import type { PolledJobQueue } from '../../shared/ports/job-queue.js';
import { handleJob, type JobResult } from '../../shared/workers/jobs.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';

export interface JobConsumerOptions {
  /** How many jobs run at once. */
  concurrency: number;
  /** How long a received job stays hidden; a consumer that dies lets it reappear after this. */
  visibilityMs: number;
  /** How long to wait before looking again when the queue was empty. */
  idlePollMs: number;
}

export interface JobRun {
  result?: JobResult;
  error?: unknown;
}

/**
 * The local server's consumers of the job queue: what SQS and Lambda do on
 * AWS. Each consumer takes one job at a time and deletes it when it has run;
 * a job that throws stays and comes back after its visibility timeout.
 * Returns a function that stops them and waits for the jobs in hand.
 */
export function startJobConsumers(
  deps: WorkerDeps,
  queue: PolledJobQueue,
  options: JobConsumerOptions,
  onRun: (run: JobRun) => void,
): () => Promise<void> {
  let stopping = false;
  let wake: (() => void) | undefined;
  const consume = async () => {
    while (!stopping) {
      const [received] = await queue.receive(1, options.visibilityMs).catch((error: unknown) => {
        onRun({ error });
        return [];
      });
      if (!received) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.idlePollMs);
          timer.unref();
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        continue;
      }
      try {
        onRun({ result: await handleJob(deps, received.job) });
        await queue.delete(received.receipt);
      } catch (error) {
        onRun({ error });
      }
    }
  };
  const consumers = Array.from({ length: options.concurrency }, consume);
  return async () => {
    stopping = true;
    wake?.();
    await Promise.allSettled(consumers);
  };
}
