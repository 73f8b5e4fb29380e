import type { WakeableTask, Wakeups } from '../../shared/ports/wakeups.js';
import { SCHEDULED_TASKS, type ScheduledTaskName } from '../../shared/workers/scheduled-tasks.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';

export interface TaskRun {
  task: ScheduledTaskName;
  handled?: number;
  error?: unknown;
}

export interface TaskTimers {
  /** Runs `task` at `atMs` (at once if that has passed) besides its interval; tasks without one are ignored. */
  wake(task: ScheduledTaskName, atMs: number): void;
  stop(): void;
}

/**
 * Runs each scheduled task on its interval inside the local server, and
 * when woken (a sync asked for now, a new prune policy). A run never
 * overlaps the previous one of the same task; a wakeup during a run runs
 * the task once more after it. Timers do not keep the process alive. Tasks
 * without an interval do not run.
 */
export function startTaskTimers(
  deps: WorkerDeps,
  intervalsMs: Partial<Record<ScheduledTaskName, number>>,
  onRun: (run: TaskRun) => void,
): TaskTimers {
  const scheduled = (Object.keys(SCHEDULED_TASKS) as ScheduledTaskName[]).filter(
    (task) => intervalsMs[task] !== undefined,
  );
  const running = new Set<ScheduledTaskName>();
  const again = new Set<ScheduledTaskName>();
  const wakeTimers = new Map<ScheduledTaskName, { atMs: number; timer: NodeJS.Timeout }>();

  const run = (task: ScheduledTaskName) => {
    if (running.has(task)) {
      again.add(task);
      return;
    }
    running.add(task);
    SCHEDULED_TASKS[task](deps)
      .then(
        (handled) => onRun({ task, handled }),
        (error: unknown) => onRun({ task, error }),
      )
      .finally(() => {
        running.delete(task);
        if (again.delete(task)) run(task);
      });
  };

  const intervals = scheduled.map((task) => {
    const timer = setInterval(() => run(task), intervalsMs[task]);
    timer.unref();
    return timer;
  });

  return {
    wake: (task, atMs) => {
      if (!scheduled.includes(task)) return;
      const pending = wakeTimers.get(task);
      if (pending && pending.atMs <= atMs) return;
      if (pending) clearTimeout(pending.timer);
      const timer = setTimeout(
        () => {
          wakeTimers.delete(task);
          run(task);
        },
        Math.max(0, atMs - Date.now()),
      );
      timer.unref();
      wakeTimers.set(task, { atMs, timer });
    },
    stop: () => {
      intervals.forEach(clearInterval);
      for (const { timer } of wakeTimers.values()) clearTimeout(timer);
      wakeTimers.clear();
    },
  };
}

/**
 * Wakeups for the local server: the services that ask for them are built
 * before the task timers that carry them out, so requests go to the timers
 * once they are bound (none arrive before: nothing serves requests yet).
 */
export function localWakeups(): Wakeups & { bind(timers: TaskTimers): void } {
  let timers: TaskTimers | undefined;
  return {
    wakeAt: async (task: WakeableTask, atMs: number) => timers?.wake(task, atMs),
    bind: (bound) => {
      timers = bound;
    },
  };
}
