import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SchedulerWakeups } from '../../shared/adapters/schedule/scheduler-wakeups.js';
import { QueueWakeups, routedWakeups } from '../../shared/adapters/queue/queue-wakeups.js';
import type { BerthConfig } from '../../shared/config/config.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import { tickingWakeups, type Wakeups } from '../../shared/ports/wakeups.js';

/**
 * One-off EventBridge Scheduler schedules, in the first region where the
 * job queue is; a function without the settings (another region's) never
 * needs to wake anything. The notification worker, woken after every
 * event and for every retry, is woken by a (delayed) job on the queue
 * instead, when the function may send to it.
 */
export function awsWakeups(
  config: BerthConfig,
  client?: ConstructorParameters<typeof SchedulerWakeups>[0],
  queue?: JobQueue,
): Wakeups {
  const settings = config.wakeups;
  const scheduled = settings
    ? new SchedulerWakeups(client ?? new SchedulerClient({}), systemClock, settings)
    : tickingWakeups;
  return queue
    ? routedWakeups({ notifications: new QueueWakeups(queue, systemClock) }, scheduled)
    : scheduled;
}
