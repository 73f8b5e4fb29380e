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
  /**
   * Each empty look doubles the wait, up to this. Jobs this process sends
   * wake the consumers at once (`wake`), so the wait only bounds how late a
   * job from elsewhere is seen: another server on the same database, or one
   * back from its visibility timeout.
   */
  maxIdlePollMs?: number;
}

export interface JobRun {
  result?: JobResult;
  error?: unknown;
}

/**
 * The local server's consumers of the job queue: what SQS and Lambda do on
 * AWS. Each consumer takes one job at a time and deletes it when it has run;
 * a job that throws stays and comes back after its visibility timeout.
 * `stop` stops them and waits for the jobs in hand; `wake` has the idle ones
 * look at once.
 */
export function startJobConsumers(
  deps: WorkerDeps,
  queue: PolledJobQueue,
  options: JobConsumerOptions,
  onRun: (run: JobRun) => void,
): { stop: () => Promise<void>; wake: () => void } {
  let stopping = false;
  const sleeping = new Set<() => void>();
  const wake = () => {
    for (const resolve of sleeping) resolve();
    sleeping.clear();
  };
  const consume = async () => {
    let idleMs = options.idlePollMs;
    while (!stopping) {
      const [received] = await queue.receive(1, options.visibilityMs).catch((error: unknown) => {
        onRun({ error });
        return [];
      });
      if (!received) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, idleMs);
          timer.unref();
          function done() {
            clearTimeout(timer);
            sleeping.delete(done);
            resolve();
          }
          sleeping.add(done);
        });
        idleMs = Math.min(idleMs * 2, options.maxIdlePollMs ?? options.idlePollMs);
        continue;
      }
      idleMs = options.idlePollMs;
      try {
        onRun({ result: await handleJob(deps, received.job) });
        await queue.delete(received.receipt);
      } catch (error) {
        onRun({ error });
      }
    }
  };
  const consumers = Array.from({ length: options.concurrency }, consume);
  return {
    wake,
    stop: async () => {
      stopping = true;
      wake();
      await Promise.allSettled(consumers);
    },
  };
}
