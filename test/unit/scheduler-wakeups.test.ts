import {
  ConflictException,
  ResourceNotFoundException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { SchedulerWakeups } from '../../shared/adapters/schedule/scheduler-wakeups.js';
import { EVENTBRIDGE_SCHEDULER } from '../infra/aws-facts.js';
import { FixedClock } from '../support/harness.js';

/**
 * EventBridge Scheduler as its API behaves for these calls: one schedule
 * per name, GetSchedule of a missing one fails with ResourceNotFoundException,
 * CreateSchedule of an existing one with ConflictException.
 */
function fakeScheduler() {
  const schedules = new Map<string, CreateScheduleCommandInput>();
  const calls: string[] = [];
  /** Another process creates the schedule between our GetSchedule and CreateSchedule. */
  let racer: CreateScheduleCommandInput | undefined;
  const client = {
    send: async (command: { constructor: { name: string }; input: CreateScheduleCommandInput }) => {
      const name = command.constructor.name;
      calls.push(name);
      const input = command.input;
      switch (name) {
        case 'GetScheduleCommand': {
          const found = schedules.get(input.Name!);
          if (!found)
            throw new ResourceNotFoundException({
              Message: 'not found',
              message: 'not found',
              $metadata: {},
            });
          return found;
        }
        case 'CreateScheduleCommand':
          if (racer) {
            schedules.set(input.Name!, racer);
            racer = undefined;
          }
          if (schedules.has(input.Name!)) {
            throw new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} });
          }
          schedules.set(input.Name!, input);
          return {};
        case 'UpdateScheduleCommand':
          schedules.set(input.Name!, input);
          return {};
        default:
          throw new Error(`unexpected ${name}`);
      }
    },
  };
  return {
    client,
    schedules,
    calls,
    raceWith: (input: CreateScheduleCommandInput) => {
      racer = input;
    },
  };
}

const OPTIONS = {
  namePrefix: 'berth-wakeup',
  queueArn: 'arn:aws:sqs:us-east-1:123456789012:berth-jobs',
  roleArn: 'arn:aws:iam::123456789012:role/berth-wakeups',
  deadLetterArn: 'arn:aws:sqs:us-east-1:123456789012:berth-jobs-dlq',
};

describe('wakeups as one-off EventBridge Scheduler schedules', () => {
  it('creates a one-time schedule that puts the task on the job queue and deletes itself', async () => {
    const clock = new FixedClock(Date.UTC(2026, 11, 1, 12, 0, 0));
    const scheduler = fakeScheduler();
    const wakeups = new SchedulerWakeups(scheduler.client, clock, OPTIONS);
    await wakeups.wakeAt('mirror-schedule', Date.UTC(2026, 11, 1, 15, 30, 0, 250));

    const schedule = scheduler.schedules.get('berth-wakeup-mirror-schedule')!;
    expect(schedule.ScheduleExpression).toBe('at(2026-12-01T15:30:00)');
    expect(schedule.ScheduleExpression).toMatch(EVENTBRIDGE_SCHEDULER.atExpression);
    expect(schedule.ScheduleExpressionTimezone).toBe('UTC');
    expect(EVENTBRIDGE_SCHEDULER.flexibleTimeWindowModes).toContain(
      schedule.FlexibleTimeWindow!.Mode,
    );
    expect(schedule.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    expect(EVENTBRIDGE_SCHEDULER.actionsAfterCompletion).toContain(schedule.ActionAfterCompletion);
    expect(schedule.ActionAfterCompletion).toBe('DELETE');
    expect(schedule.Target).toMatchObject({
      Arn: OPTIONS.queueArn,
      RoleArn: OPTIONS.roleArn,
      DeadLetterConfig: { Arn: OPTIONS.deadLetterArn },
    });
    expect(JSON.parse(schedule.Target!.Input!)).toEqual({ kind: 'task', task: 'mirror-schedule' });
  });

  it('keeps an earlier wakeup, moves a later or past one, and never sets one within a minute', async () => {
    const clock = new FixedClock(Date.UTC(2026, 11, 1, 12, 0, 0));
    const scheduler = fakeScheduler();
    const wakeups = new SchedulerWakeups(scheduler.client, clock, OPTIONS);
    const expression = () => scheduler.schedules.get('berth-wakeup-autoprune')!.ScheduleExpression;

    await wakeups.wakeAt('autoprune', Date.UTC(2026, 11, 1, 13, 0, 0));
    await wakeups.wakeAt('autoprune', Date.UTC(2026, 11, 1, 14, 0, 0));
    expect(expression()).toBe('at(2026-12-01T13:00:00)');
    await wakeups.wakeAt('autoprune', clock.now());
    expect(expression()).toBe('at(2026-12-01T12:01:00)');
    // Once the time has passed (the schedule fired, or is about to be deleted), a new one is set.
    clock.advance(2 * 60_000);
    await wakeups.wakeAt('autoprune', Date.UTC(2026, 11, 1, 18, 0, 0));
    expect(expression()).toBe('at(2026-12-01T18:00:00)');
  });

  it('settles a race with another process on the earlier time', async () => {
    const clock = new FixedClock(Date.UTC(2026, 11, 1, 12, 0, 0));
    const scheduler = fakeScheduler();
    const wakeups = new SchedulerWakeups(scheduler.client, clock, OPTIONS);
    scheduler.raceWith({
      Name: 'berth-wakeup-quota-backfill',
      ScheduleExpression: 'at(2026-12-01T20:00:00)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: OPTIONS.queueArn, RoleArn: OPTIONS.roleArn },
    });
    await wakeups.wakeAt('quota-backfill', Date.UTC(2026, 11, 1, 13, 0, 0));
    expect(scheduler.schedules.get('berth-wakeup-quota-backfill')!.ScheduleExpression).toBe(
      'at(2026-12-01T13:00:00)',
    );
    expect(scheduler.calls).toEqual([
      'GetScheduleCommand',
      'CreateScheduleCommand',
      'GetScheduleCommand',
      'UpdateScheduleCommand',
    ]);
  });
});
