import {
  ConflictException,
  CreateScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { Clock } from '../../ports/clock.js';
import type { TaskJob } from '../../ports/job-queue.js';
import type { WakeableTask, Wakeups } from '../../ports/wakeups.js';

export interface SchedulerWakeupsOptions {
  /** Schedules are named `<prefix>-<task>`, one per task: a later wakeup moves it. */
  namePrefix: string;
  /** The job queue the schedule sends the task to, and the role EventBridge Scheduler sends as. */
  queueArn: string;
  roleArn: string;
  /** Where a schedule's message goes when it cannot be sent. */
  deadLetterArn?: string;
}

/** Never sooner than this: a schedule for a time already past may not fire. */
const LEAD_MS = 60_000;

/** `at(yyyy-mm-ddThh:mm:ss)`, in UTC. */
function atExpression(ms: number): string {
  return `at(${new Date(ms).toISOString().slice(0, 19)})`;
}

function atTime(expression: string | undefined): number | null {
  const match = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression ?? '');
  return match ? Date.parse(`${match[1]}Z`) : null;
}

/**
 * Wakeups as one-off EventBridge Scheduler schedules that put the task on
 * the job queue and delete themselves once they fired. Arming looks first:
 * an earlier wakeup that has not fired yet is kept, so the task runs by the
 * earliest time anyone asked for.
 */
export class SchedulerWakeups implements Wakeups {
  constructor(
    private readonly client: Pick<SchedulerClient, 'send'>,
    private readonly clock: Clock,
    private readonly options: SchedulerWakeupsOptions,
  ) {}

  async wakeAt(task: WakeableTask, atMs: number): Promise<void> {
    const name = `${this.options.namePrefix}-${task}`;
    const now = this.clock.now();
    const at = Math.max(atMs, now + LEAD_MS);
    const current = await this.current(name);
    const armed = atTime(current?.expression);
    if (armed !== null && armed > now && armed <= at) return;
    const job: TaskJob = { kind: 'task', task };
    const input: CreateScheduleCommandInput = {
      Name: name,
      ScheduleExpression: atExpression(at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: this.options.queueArn,
        RoleArn: this.options.roleArn,
        Input: JSON.stringify(job),
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
        ...(this.options.deadLetterArn
          ? { DeadLetterConfig: { Arn: this.options.deadLetterArn } }
          : {}),
      },
    };
    if (current) {
      await this.client.send(new UpdateScheduleCommand(input));
      return;
    }
    try {
      await this.client.send(new CreateScheduleCommand(input));
    } catch (error) {
      // Another process armed it meanwhile: move it, unless it already fires sooner.
      if (!(error instanceof ConflictException)) throw error;
      const raced = atTime((await this.current(name))?.expression);
      if (raced === null || raced <= now || raced > at) {
        await this.client.send(new UpdateScheduleCommand(input));
      }
    }
  }

  private async current(name: string): Promise<{ expression: string | undefined } | null> {
    try {
      const schedule = await this.client.send(new GetScheduleCommand({ Name: name }));
      return { expression: schedule.ScheduleExpression };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return null;
      throw error;
    }
  }
}
