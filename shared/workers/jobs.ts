import type { Job } from '../ports/job-queue.js';
import { runMirrorJob, type JobBudget, type MirrorJobResult } from './mirror-sync.js';
import { isScheduledTaskName, SCHEDULED_TASKS } from './scheduled-tasks.js';
import type { WorkerDeps } from './worker-deps.js';

export type JobResult = MirrorJobResult | { kind: 'task'; task: string; handled: number };

/** Runs one queued job, whichever runtime received it. */
export async function handleJob(
  deps: WorkerDeps,
  job: Job,
  budget?: JobBudget,
): Promise<JobResult> {
  switch (job.kind) {
    case 'mirror-sync':
      return runMirrorJob(deps.mirror, job, budget);
    case 'task': {
      if (!isScheduledTaskName(job.task))
        throw new Error(`unknown task ${JSON.stringify(job.task)}`);
      return { kind: 'task', task: job.task, handled: await SCHEDULED_TASKS[job.task](deps) };
    }
  }
}
