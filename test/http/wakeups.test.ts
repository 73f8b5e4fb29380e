import { afterEach, describe, expect, it } from 'vitest';
import { handleJob } from '../../shared/workers/jobs.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import { REQUEUE_AFTER_MS } from '../../shared/workers/mirror-scheduler.js';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { mirrorSetup, quayDate } from '../support/mirroring.js';

const HOUR = 60 * 60 * 1000;

/**
 * On AWS nothing polls: what people ask for, and what falls due, asks to
 * be woken. These check that every such moment asks, with the right time.
 */
describe('wakeups instead of polling', () => {
  let t: TestRegistry;
  afterEach(() => t?.close());

  const mirror = (startMs: number) => ({
    external_reference: '127.0.0.1:5999/upstream/app',
    sync_interval: 3600,
    sync_start_date: quayDate(startMs),
    robot_username: 'mirrors+sync',
    root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['latest'] },
    external_registry_config: { verify_tls: false },
  });

  it("wakes the mirror scheduler at a new mirror's start, at once for sync-now, and when the next one falls due", async () => {
    // Prepare
    t = await startTestRegistry({ access: { enabled: true } });
    const { api, path } = await mirrorSetup(t);
    const start = t.clock.now() + 2 * HOUR;

    // Act
    expect((await api.post(path, mirror(start))).status).toBe(201);
    const afterCreate = [...t.wakeups.calls];
    expect((await api.put(path, { sync_start_date: quayDate(start + HOUR) })).status).toBe(201);
    const afterUpdate = [...t.wakeups.calls];
    expect((await api.post(`${path}/sync-now`)).status).toBe(204);
    const afterSyncNow = [...t.wakeups.calls];
    t.wakeups.calls.length = 0;
    const queued = await SCHEDULED_TASKS['mirror-schedule'](t.workers);

    // Assess
    expect(afterCreate).toEqual([
      { task: 'mirror-schedule', atMs: Math.floor(start / 1000) * 1000 },
    ]);
    expect(afterUpdate.at(-1)).toEqual({
      task: 'mirror-schedule',
      atMs: Math.floor((start + HOUR) / 1000) * 1000,
    });
    expect(afterSyncNow.at(-1)).toEqual({ task: 'mirror-schedule', atMs: t.clock.now() });
    // The tick queued the due sync; its job could be lost, so it wakes again to requeue it.
    expect(queued).toBe(1);
    expect(t.wakeups.calls).toEqual([
      { task: 'mirror-schedule', atMs: t.clock.now() + REQUEUE_AFTER_MS },
    ]);
  });

  it('wakes the scheduler for the next sync when one ends', async () => {
    // Prepare
    t = await startTestRegistry({ access: { enabled: true } });
    const { api, path } = await mirrorSetup(t);
    await api.post(path, mirror(t.clock.now()));
    await SCHEDULED_TASKS['mirror-schedule'](t.workers);
    const [received] = await t.queue.receive(1, 60_000);
    t.wakeups.calls.length = 0;

    // Act: the upstream does not exist, so the sync fails and is retried soon.
    const result = await handleJob(t.workers, received!.job);

    // Assess
    expect(result).toMatchObject({ kind: 'finished', outcome: { status: 'FAIL' } });
    expect(t.wakeups.calls).toEqual([{ task: 'mirror-schedule', atMs: t.clock.now() }]);
  });

  it('wakes the quota worker for a registry size, and the prune worker for a new or changed policy', async () => {
    // Prepare
    t = await startTestRegistry({ access: { enabled: true } });
    const olivia = await createUser(t, 'olivia');
    await identity(t).orgs.create(olivia, 'acme', null);
    const superuser = new ApiClient(t.app, { basic: `admin:${PASSWORD}` });
    await createUser(t, 'admin');
    const admin = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });

    // Act
    expect((await superuser.post('/superuser/registrysize')).status).toBe(201);
    const created = await admin.post('/organization/acme/autoprunepolicy', {
      method: 'number_of_tags',
      value: 5,
    });
    expect(created.status).toBe(201);
    const changed = await admin.put(`/organization/acme/autoprunepolicy/${created.body.uuid}`, {
      method: 'number_of_tags',
      value: 3,
    });
    expect(changed.status).toBe(204);

    // Assess
    expect(t.wakeups.calls).toEqual([
      { task: 'quota-backfill', atMs: t.clock.now() },
      { task: 'autoprune', atMs: t.clock.now() },
      { task: 'autoprune', atMs: t.clock.now() },
    ]);
  });

  it('runs a woken task from the job queue as the worker would run it on its schedule', async () => {
    t = await startTestRegistry();
    // A fresh registry's quota worker has its registry-wide size row to start.
    expect(await handleJob(t.workers, { kind: 'task', task: 'quota-backfill' })).toEqual({
      kind: 'task',
      task: 'quota-backfill',
      handled: 1,
    });
    await expect(handleJob(t.workers, { kind: 'task', task: 'rm -rf' })).rejects.toThrow(
      'unknown task',
    );
  });
});
