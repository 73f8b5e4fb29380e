import { runAutoprune } from './autoprune.js';
import { removeAbandonedUploads } from './abandoned-uploads.js';
import { collectGarbage } from './garbage-collection.js';
import { scheduleMirrors } from './mirror-scheduler.js';
import { runQuotaWorker } from './quota-worker.js';
import { runReplication } from './replication.js';
import { runNotifications } from './notifications.js';
import { runNotificationUpkeep } from './notification-upkeep.js';
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
  notifications: async (deps: WorkerDeps) => {
    const run = await runNotifications(deps.notifications);
    return run.delivered + run.failed + run.published;
  },
  'notification-upkeep': (deps: WorkerDeps) => runNotificationUpkeep(deps.notifications),
  replication: (deps: WorkerDeps) => replicate(deps),
  housekeeping: (deps: WorkerDeps) => housekeeping(deps),
  // A region that is not the first: its own upload sessions, and the copies into its own bucket.
  'regional-housekeeping': async (deps: WorkerDeps) =>
    (await removeAbandonedUploads(deps.registry)) + (await replicate(deps)),
} as const satisfies Record<string, (deps: WorkerDeps) => Promise<number>>;

async function replicate(deps: WorkerDeps): Promise<number> {
  const run = await runReplication(deps.replication, deps.options.replication);
  return run.placed + run.failed + run.backfilled;
}

/** What one housekeeping run does, in this order: sessions first, the sweep of what they left last. */
export const HOUSEKEEPING_TASKS = [
  'remove-abandoned-uploads',
  'autoprune',
  'quota-backfill',
  'garbage-collection',
  'mirror-schedule',
  'replication',
  'notification-upkeep',
  // Last: a backstop for deliveries whose wakeup was lost, and the expiry announcements just made.
  'notifications',
] as const;

/**
 * Every periodic task, one after another, so that on AWS the database wakes
 * once for all of them. One failing does not stop the others; the run then
 * fails as a whole, so its retries and dead-letter queue see it.
 */
async function housekeeping(deps: WorkerDeps): Promise<number> {
  let handled = 0;
  const failures: string[] = [];
  for (const task of HOUSEKEEPING_TASKS) {
    if (deps.options.disabledTasks?.includes(task)) continue;
    try {
      handled += await SCHEDULED_TASKS[task](deps);
    } catch (error) {
      failures.push(`${task}: ${(error as Error).message}`);
    }
  }
  if (failures.length > 0) throw new Error(`housekeeping failed: ${failures.join('; ')}`);
  return handled;
}

export type ScheduledTaskName = keyof typeof SCHEDULED_TASKS;

/** The tasks a long-running server runs on its own timers (housekeeping is all of them at once). */
export type PeriodicTaskName = (typeof HOUSEKEEPING_TASKS)[number];

export function isScheduledTaskName(name: unknown): name is ScheduledTaskName {
  return typeof name === 'string' && Object.hasOwn(SCHEDULED_TASKS, name);
}
