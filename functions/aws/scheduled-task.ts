import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../../shared/config/config.js';
import {
  isScheduledTaskName,
  SCHEDULED_TASKS,
  type ScheduledTaskName,
} from '../../shared/workers/scheduled-tasks.js';
import type { WorkerDeps } from '../../shared/workers/worker-deps.js';
import { buildAwsWorkers } from './aws-workers.js';
import { lazyInit } from './lazy-init.js';

/** What an EventBridge schedule sends (the rule's input): which task, and when it fired. */
export interface ScheduledTaskEvent {
  task: string;
  time?: string;
}

export interface ScheduledTaskResult {
  task: ScheduledTaskName;
  handled: number;
}

/** Refuses an event naming no known task before any work starts. */
const requireKnownTask = (): MiddlewareObj<
  ScheduledTaskEvent,
  ScheduledTaskResult,
  Error,
  Context
> => ({
  before: (request) => {
    if (!isScheduledTaskName(request.event.task)) {
      throw new Error(`unknown scheduled task ${JSON.stringify(request.event.task)}`);
    }
  },
});

/** One structured line per failure, with the request id, so logs and retries can be matched. */
const logFailure = (): MiddlewareObj<ScheduledTaskEvent, ScheduledTaskResult, Error, Context> => ({
  onError: (request) => {
    console.error(
      JSON.stringify({
        level: 'error',
        task: request.event?.task,
        requestId: request.context.awsRequestId,
        error: request.error?.message,
      }),
    );
  },
});

/** The scheduled-task Lambda: runs the task the schedule names against the registry. */
export function scheduledTaskHandler(workerDeps: () => Promise<WorkerDeps>) {
  return middy<ScheduledTaskEvent, ScheduledTaskResult, Error, Context>()
    .use(logFailure())
    .use(requireKnownTask())
    .handler(async (event) => {
      const task = event.task as ScheduledTaskName;
      return { task, handled: await SCHEDULED_TASKS[task](await workerDeps()) };
    });
}

export const handler = scheduledTaskHandler(
  lazyInit(() => buildAwsWorkers(loadConfig(process.env))),
);
