import type { Job } from '../ports/job-queue.js';
import { runMirrorJob, type JobBudget, type MirrorJobResult } from './mirror-sync.js';
import type { WorkerDeps } from './worker-deps.js';

/** Runs one queued job, whichever runtime received it. */
export async function handleJob(
  deps: WorkerDeps,
  job: Job,
  budget?: JobBudget,
): Promise<MirrorJobResult> {
  switch (job.kind) {
    case 'mirror-sync':
      return runMirrorJob(deps.mirror, job, budget);
  }
}
