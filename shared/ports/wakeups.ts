/**
 * Asks for a periodic task to run soon, or at a given time, so that work
 * people ask for (a sync now, a registry size, a new prune policy) and work
 * that falls due (the next mirror sync, a notification to deliver or to
 * retry) needs nobody to poll for it. On AWS
 * a one-off EventBridge Scheduler schedule; where a process ticks on short
 * timers anyway, nothing.
 */
export type WakeableTask = 'mirror-schedule' | 'quota-backfill' | 'autoprune' | 'notifications';

export interface Wakeups {
  /** Makes sure `task` runs by `atMs` or soon after; an earlier wakeup already set stays. */
  wakeAt(task: WakeableTask, atMs: number): Promise<void>;
}

/** For a process whose own timers run every task every few seconds. */
export const tickingWakeups: Wakeups = { wakeAt: async () => {} };
