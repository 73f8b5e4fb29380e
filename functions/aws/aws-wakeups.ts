import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SchedulerWakeups } from '../../shared/adapters/schedule/scheduler-wakeups.js';
import type { BerthConfig } from '../../shared/config/config.js';
import { systemClock } from '../../shared/ports/clock.js';
import { tickingWakeups, type Wakeups } from '../../shared/ports/wakeups.js';

/**
 * One-off EventBridge Scheduler schedules, in the first region where the
 * job queue is; a function without the settings (another region's) never
 * needs to wake anything.
 */
export function awsWakeups(
  config: BerthConfig,
  client?: ConstructorParameters<typeof SchedulerWakeups>[0],
): Wakeups {
  const settings = config.wakeups;
  if (!settings) return tickingWakeups;
  return new SchedulerWakeups(client ?? new SchedulerClient({}), systemClock, settings);
}
