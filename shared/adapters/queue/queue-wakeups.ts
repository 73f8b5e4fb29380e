import type { Clock } from '../../ports/clock.js';
import { MAX_JOB_DELAY_MS, type JobQueue } from '../../ports/job-queue.js';
import type { WakeableTask, Wakeups } from '../../ports/wakeups.js';

/**
 * Wakeups as delayed task jobs on the job queue, for tasks woken often and
 * soon (a notification to send now, a retry in 30 s), where a one-off
 * schedule would be slow and costly. A wakeup further out than the queue
 * can delay (15 minutes on SQS) arrives early; the task then finds nothing
 * due and the periodic run covers the rest.
 */
export class QueueWakeups implements Wakeups {
  constructor(
    private readonly queue: JobQueue,
    private readonly clock: Clock,
  ) {}

  async wakeAt(task: WakeableTask, atMs: number): Promise<void> {
    const delayMs = Math.min(Math.max(atMs - this.clock.now(), 0), MAX_JOB_DELAY_MS);
    await this.queue.send([{ kind: 'task', task }], { delayMs });
  }
}

/** Sends each task's wakeups where they belong: some on the queue, the rest to another mechanism. */
export function routedWakeups(
  routes: Partial<Record<WakeableTask, Wakeups>>,
  otherwise: Wakeups,
): Wakeups {
  return { wakeAt: (task, atMs) => (routes[task] ?? otherwise).wakeAt(task, atMs) };
}
