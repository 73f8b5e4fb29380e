import type { RegistryDeps } from '../registry/registry-deps.js';
import { removeAbandonedUploads } from './abandoned-uploads.js';

/**
 * The periodic tasks, by name: run by timers in the local server and by
 * EventBridge schedules on AWS. Each returns how many things it handled.
 */
export const SCHEDULED_TASKS = {
  'remove-abandoned-uploads': (deps: RegistryDeps) => removeAbandonedUploads(deps),
} as const satisfies Record<string, (deps: RegistryDeps) => Promise<number>>;

export type ScheduledTaskName = keyof typeof SCHEDULED_TASKS;

export function isScheduledTaskName(name: unknown): name is ScheduledTaskName {
  return typeof name === 'string' && Object.hasOwn(SCHEDULED_TASKS, name);
}
