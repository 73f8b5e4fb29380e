import { SCHEDULED_TASKS, type ScheduledTaskName } from '../../shared/workers/scheduled-tasks.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';

export interface TaskRun {
  task: ScheduledTaskName;
  handled?: number;
  error?: unknown;
}

/**
 * Runs each scheduled task on its interval inside the local server. A run
 * never overlaps the previous one of the same task; timers do not keep the
 * process alive. Tasks without an interval do not run. Returns a function that stops them.
 */
export function startTaskTimers(
  deps: WorkerDeps,
  intervalsMs: Partial<Record<ScheduledTaskName, number>>,
  onRun: (run: TaskRun) => void,
): () => void {
  const scheduled = (Object.keys(SCHEDULED_TASKS) as ScheduledTaskName[]).filter(
    (task) => intervalsMs[task] !== undefined,
  );
  const timers = scheduled.map((task) => {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      SCHEDULED_TASKS[task](deps)
        .then(
          (handled) => onRun({ task, handled }),
          (error: unknown) => onRun({ task, error }),
        )
        .finally(() => {
          running = false;
        });
    }, intervalsMs[task]);
    timer.unref();
    return timer;
  });
  return () => timers.forEach(clearInterval);
}
