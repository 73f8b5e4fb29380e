import { runAutoprune } from './autoprune.js';
import { removeAbandonedUploads } from './abandoned-uploads.js';
import { collectGarbage } from './garbage-collection.js';
import { scheduleMirrors } from './mirror-scheduler.js';
import { runQuotaWorker } from './quota-worker.js';
import type { WorkerDeps } from './worker-deps.js';

/**
 * The periodic tasks, by name: run by timers in the local server and by
 * EventBridge schedules on AWS. Each returns how many things it handled.
 */
export const SCHEDULED_TASKS = {
  'remove-abandoned-uploads': (deps: WorkerDeps) => removeAbandonedUploads(deps.registry),
  autoprune: async (deps: WorkerDeps) =>
    (
      await runAutoprune(
        { prune: deps.prune, clock: deps.registry.clock, newId: deps.registry.newId },
        deps.options.autoprune,
      )
    ).pruned,
  'quota-backfill': (deps: WorkerDeps) =>
    runQuotaWorker({ quota: deps.quota, clock: deps.registry.clock }, deps.options.quota),
  'garbage-collection': async (deps: WorkerDeps) => {
    const collected = await collectGarbage(
      {
        garbage: deps.garbage,
        storage: deps.registry.storage,
        cache: deps.registry.cache,
        clock: deps.registry.clock,
      },
      {
        timeMachineMs: deps.registry.options.timeMachineMs,
        graceMs: deps.options.gcGraceMs,
        batchSize: deps.options.gcBatchSize,
      },
    );
    return collected.tagLifetimes + collected.manifests + collected.blobs;
  },
  'mirror-schedule': (deps: WorkerDeps) => scheduleMirrors(deps.mirror),
} as const satisfies Record<string, (deps: WorkerDeps) => Promise<number>>;

export type ScheduledTaskName = keyof typeof SCHEDULED_TASKS;

export function isScheduledTaskName(name: unknown): name is ScheduledTaskName {
  return typeof name === 'string' && Object.hasOwn(SCHEDULED_TASKS, name);
}
