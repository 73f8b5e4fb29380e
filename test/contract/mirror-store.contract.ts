import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { SqlJobQueue } from '../../shared/adapters/queue/sql-job-queue.js';
import { createSqlIdentityStore } from '../../shared/adapters/sql/sql-identity-store.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { SqlMirrorStore } from '../../shared/adapters/sql/sql-mirror-store.js';
import type { MirrorSettings, SyncRun } from '../../shared/ports/mirror-store.js';
import { FixedClock } from '../support/harness.js';

/**
 * The mirror store and the job queue on one SQL backend: JSON columns
 * round-trip, claims are exclusive, a lost claim refuses writes, and the
 * queue hides what it hands out.
 */
export function mirrorStoreContract(db: () => Promise<Kysely<Database>>) {
  const NOW = Date.UTC(2026, 0, 1);
  const settings = (robotId: number): MirrorSettings => ({
    isEnabled: true,
    externalReference: 'quay.io/org/app',
    usernameSealed: 'v1.a.b.c',
    passwordSealed: null,
    verifyTls: true,
    proxy: { https_proxy: 'http://proxy:3128', no_proxy: null },
    globs: ['v1.*', 'latest'],
    robotId,
    syncIntervalS: 60,
    syncStartMs: NOW,
  });

  async function mirrored(d: Kysely<Database>) {
    const identity = createSqlIdentityStore(d);
    const org = await identity.createAccount({ name: 'mirrors', kind: 'organization', nowMs: NOW });
    const robot = await identity.createAccount({
      name: 'mirrors+sync',
      kind: 'robot',
      robotOwnerId: org.id,
      nowMs: NOW,
    });
    const repository = await identity.createRepository({
      name: 'mirrors/app',
      namespaceId: org.id,
      visibility: 'private',
      description: '',
      creatorGrant: null,
      nowMs: NOW,
    });
    const store = new SqlMirrorStore(d);
    expect(await store.create(repository.id, settings(robot.id), NOW)).toBe(true);
    return { store, repositoryId: repository.id, robot };
  }

  it('creates a mirror with its settings and puts the repository in state MIRROR, once', async () => {
    const d = await db();
    const { store, repositoryId, robot } = await mirrored(d);

    const found = await store.find(repositoryId);
    const again = await store.create(repositoryId, settings(robot.id), NOW);
    const repository = await d
      .selectFrom('repository')
      .select(['state', 'mirror_robot_id'])
      .where('id', '=', repositoryId)
      .executeTakeFirstOrThrow();

    expect(found).toMatchObject({
      repositoryName: 'mirrors/app',
      robotName: 'mirrors+sync',
      globs: ['v1.*', 'latest'],
      proxy: { https_proxy: 'http://proxy:3128', no_proxy: null },
      status: 'NEVER_RUN',
      retriesRemaining: 3,
      syncStartMs: NOW,
    });
    expect(again).toBe(false);
    expect(repository.state).toBe('MIRROR');
    expect(Number(repository.mirror_robot_id)).toBe(robot.id);
  });

  it('lets one claim win, keeps its run, and refuses the loser and a cancelled run', async () => {
    const d = await db();
    const { store, repositoryId } = await mirrored(d);
    expect(await store.takeDue(NOW, 10, 60_000)).toEqual([repositoryId]);
    expect(await store.takeDue(NOW, 10, 60_000)).toEqual([]);

    const winner = await store.claim(repositoryId, 'one', NOW, NOW + 1000);
    const loser = await store.claim(repositoryId, 'two', NOW, NOW + 1000);
    const run: SyncRun = {
      plan: ['latest', 'v1.0'],
      next: 1,
      previous: { latest: null, 'v1.0': 'sha256:00' },
      changed: ['latest'],
      failures: [{ tag: 'x', reason: 'why' }],
    };
    const saved = await store.saveRun({ repositoryId, token: 'one' }, run, NOW + 2000);
    const stolen = await store.saveRun({ repositoryId, token: 'two' }, run, NOW + 2000);
    const resumed = await store.resume({ repositoryId, token: 'one' }, NOW + 1500, NOW + 3000);
    await store.cancelSync(repositoryId, NOW + 1600);
    const afterCancel = await store.saveRun({ repositoryId, token: 'one' }, run, NOW + 4000);

    expect(winner?.status).toBe('SYNCING');
    expect(loser).toBeNull();
    expect([saved, stolen, afterCancel]).toEqual([true, false, false]);
    expect(resumed?.run).toEqual(run);
    expect(await store.find(repositoryId)).toMatchObject({
      status: 'CANCEL',
      syncStartMs: NOW + 1600 + 60_000,
    });
  });

  it('records the outcome, and a lapsed lease counts as an attempt', async () => {
    const d = await db();
    const { store, repositoryId } = await mirrored(d);
    await store.claim(repositoryId, 'crashed', NOW, NOW + 1000);

    const takeover = await store.claim(repositoryId, 'next', NOW + 5000, NOW + 6000);
    const finished = await store.finish(
      { repositoryId, token: 'next' },
      {
        status: 'FAIL',
        nowMs: NOW + 5500,
        nextStartMs: NOW + 5500,
        retriesRemaining: 1,
        error: 'boom',
      },
      { kind: 'repo_mirror_sync_failed', mirror: takeover!, data: { message: 'boom' } },
    );

    expect(takeover?.retriesRemaining).toBe(2);
    expect(finished).toEqual({ deliveries: 0 });
    expect(await store.find(repositoryId)).toMatchObject({
      status: 'FAIL',
      lastError: 'boom',
      lastSyncMs: NOW + 5500,
      retriesRemaining: 1,
      syncExpirationMs: null,
    });
    const event = await d.selectFrom('registry_event').selectAll().executeTakeFirstOrThrow();
    expect(event).toMatchObject({ kind: 'repo_mirror_sync_failed', created_at_ms: NOW + 5500 });
    expect(event.payload).toMatchObject({
      message: 'boom',
      repository: 'mirrors/app',
      namespace: 'mirrors',
      name: 'app',
    });
    const audit = await d.selectFrom('audit_log').selectAll().executeTakeFirstOrThrow();
    expect(audit).toMatchObject({
      kind: 'repo_mirror_sync_failed',
      performer_name: 'mirrors+sync',
    });
  });

  it('queues jobs at least once: received jobs hide until their visibility lapses', async () => {
    const clock = new FixedClock(NOW);
    const queue = new SqlJobQueue(await db(), clock);
    await queue.send([
      { kind: 'mirror-sync', repositoryId: 1 },
      { kind: 'mirror-sync', repositoryId: 2, token: 't' },
    ]);

    const first = await queue.receive(10, 1000);
    const hidden = await queue.receive(10, 1000);
    await queue.delete(first[0]!.receipt);
    clock.advance(1001);
    const again = await queue.receive(10, 1000);
    await queue.delete(first[1]!.receipt);

    expect(first.map((r) => r.job)).toEqual([
      { kind: 'mirror-sync', repositoryId: 1 },
      { kind: 'mirror-sync', repositoryId: 2, token: 't' },
    ]);
    expect(hidden).toEqual([]);
    expect(
      again.map((r) => [r.job.kind === 'mirror-sync' && r.job.repositoryId, r.receiveCount]),
    ).toEqual([[2, 2]]);
    // The first delivery's receipt went stale when the job was received anew.
    expect(await queue.depth()).toBe(1);
  });
}
