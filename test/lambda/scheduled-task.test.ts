import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTaskTimers, type TaskRun } from '../../functions/local/task-timers.js';
import { scheduledTaskHandler } from '../../functions/aws/scheduled-task.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';

let t: TestRegistry;
beforeAll(async () => {
  t = await startTestRegistry();
});
afterAll(() => t.close());

const context = { awsRequestId: 'req-7', functionName: 'berth-scheduled-tasks' } as Context;

async function abandonOneUpload() {
  await t.app.request('/v2/tasks/app/blobs/uploads/', { method: 'POST' });
  t.clock.advance(25 * 60 * 60 * 1000);
}

describe('the scheduled-task Lambda (middy)', () => {
  it('runs the task an EventBridge schedule names and reports what it handled', async () => {
    await abandonOneUpload();
    const handler = scheduledTaskHandler(async () => t.workers);
    // The input the rule sends: { task, time: <aws.events.event.time> }.
    const result = await handler(
      { task: 'remove-abandoned-uploads', time: '2026-11-24T23:00:00Z' },
      context,
    );
    expect(result).toEqual({ task: 'remove-abandoned-uploads', handled: 1 });
  });

  it('runs garbage collection, auto-prune and the quota worker from their schedules', async () => {
    const handler = scheduledTaskHandler(async () => t.workers);
    // A blob nothing references, older than the grace period: garbage.
    const blob = await t.app.request(
      '/v2/tasks/gc/blobs/uploads/?digest=sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881',
      {
        method: 'POST',
        body: 'x',
      },
    );
    expect(blob.status).toBe(201);
    t.clock.advance(2 * 60 * 60 * 1000);
    const time = '2026-11-25T03:00:00Z';
    expect(await handler({ task: 'garbage-collection', time }, context)).toEqual({
      task: 'garbage-collection',
      handled: 1,
    });
    expect(await handler({ task: 'autoprune', time }, context)).toEqual({
      task: 'autoprune',
      handled: 0,
    });
    expect(await handler({ task: 'quota-backfill', time }, context)).toMatchObject({
      task: 'quota-backfill',
    });
  });

  it('refuses an unknown task before touching the registry, and logs it with the request id', async () => {
    const registryDeps = vi.fn(async () => t.workers);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const handler = scheduledTaskHandler(registryDeps);
    await expect(handler({ task: 'drop-everything' }, context)).rejects.toThrow(
      'unknown scheduled task',
    );
    expect(registryDeps).not.toHaveBeenCalled();
    expect(JSON.parse(logged.mock.calls[0]![0] as string)).toMatchObject({
      task: 'drop-everything',
      requestId: 'req-7',
    });
    logged.mockRestore();
  });
});

describe('the local server task timers', () => {
  it('run each task on its interval and report each run', async () => {
    await abandonOneUpload();
    const run = await new Promise<TaskRun>((resolve) => {
      const timers = startTaskTimers(t.workers, { 'remove-abandoned-uploads': 5 }, (r) => {
        timers.stop();
        resolve(r);
      });
    });
    expect(run).toEqual({ task: 'remove-abandoned-uploads', handled: 1 });
  });

  it('run a task when woken, long before its interval, and ignore tasks that have none', async () => {
    await abandonOneUpload();
    const runs: TaskRun[] = [];
    const run = await new Promise<TaskRun>((resolve) => {
      const timers = startTaskTimers(t.workers, { 'remove-abandoned-uploads': 3_600_000 }, (r) => {
        runs.push(r);
        timers.stop();
        resolve(r);
      });
      timers.wake('autoprune', Date.now());
      timers.wake('remove-abandoned-uploads', Date.now());
    });
    expect(run).toEqual({ task: 'remove-abandoned-uploads', handled: 1 });
    expect(runs).toHaveLength(1);
  });
});
