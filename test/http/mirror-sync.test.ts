import { afterEach, describe, expect, it } from 'vitest';
import { MediaType } from '../../shared/oci/media-types.js';
import { createUser, PASSWORD } from '../support/accounts.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import {
  expectFinished,
  mirrorConfig,
  mirrorSetup,
  quayDate,
  runMirrorTick,
  serveOnLoopback,
  tagDigests,
  type LoopbackServer,
} from '../support/mirroring.js';
import { V2Client } from '../support/v2-client.js';
import type { MirrorOptions } from '../../shared/workers/mirror-sync.js';
import { handleJob } from '../../shared/workers/jobs.js';

/**
 * Mirroring from a second Berth with token auth and a private repository:
 * the worker must answer Bearer challenges with the mirror's credentials.
 */
describe('mirror sync from a registry with token auth', () => {
  let upstream: TestRegistry;
  let downstream: TestRegistry;
  let server: LoopbackServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await upstream?.close();
    await downstream?.close();
  });

  /** Stops answering (connection refused) from the moment `when` sees a request it picks. */
  let failWhen: ((request: Request) => boolean) | undefined;
  let onRequest: ((request: Request) => Promise<void>) | undefined;

  async function start(mirror: Partial<MirrorOptions> = {}) {
    failWhen = undefined;
    onRequest = undefined;
    upstream = await startTestRegistry({ access: { enabled: true } });
    downstream = await startTestRegistry({
      access: { enabled: true },
      mirror: { options: mirror },
    });
    await createUser(upstream, 'alice');
    server = await serveOnLoopback(upstream.app, async (request) => {
      await onRequest?.(request);
      if (failWhen?.(request)) {
        void server?.close();
        return new Response(null, { status: 503 });
      }
      return undefined;
    });
    const pusher = new V2Client(upstream.app, `alice:${PASSWORD}`);
    const setup = await mirrorSetup(downstream);
    return { pusher, ...setup };
  }

  const config = (host: string, globs: string[], password = PASSWORD) =>
    mirrorConfig(downstream, host, { globs, password });

  const upstreamTags = (globs: RegExp) =>
    tagDigests(
      (p, i) => new V2Client(upstream.app, `alice:${PASSWORD}`).request(p, i),
      'alice/app',
    ).then((all) => Object.fromEntries(Object.entries(all).filter(([tag]) => globs.test(tag))));
  const mirroredTags = () =>
    tagDigests(
      (p, i) => new V2Client(downstream.app, `owner:${PASSWORD}`).request(p, i),
      'mirrors/app',
    );

  it('copies the tags the globs match, digests unchanged, indexes with their children', async () => {
    // Prepare
    const { pusher, api, path } = await start();
    await pusher.pushImage('alice/app', 'v1.0', { layer: 'one' });
    await pusher.pushImage('alice/app', 'v1.1', { layer: 'two' });
    await pusher.pushImage('alice/app', 'dev', { layer: 'dev' });
    const amd = await pusher.pushImage('alice/app', 'child-a', { layer: 'amd' });
    const arm = await pusher.pushImage('alice/app', 'child-b', { layer: 'arm' });
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        { ...amd.descriptor, platform: { architecture: 'amd64', os: 'linux' } },
        { ...arm.descriptor, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    };
    expect(
      (await pusher.putManifest('alice/app', 'latest', index, MediaType.ociIndex)).status,
    ).toBe(201);
    await pusher.request('/v2/alice/app/manifests/child-a', { method: 'DELETE' });
    await pusher.request('/v2/alice/app/manifests/child-b', { method: 'DELETE' });
    expect((await api.post(path, config(server!.host, ['v1.*', 'latest']))).status).toBe(201);

    // Act
    const [result] = await runMirrorTick(downstream);

    // Assess
    expectFinished(result, 'SUCCESS');
    const expected = await upstreamTags(/^(v1\..*|latest)$/);
    expect(Object.keys(expected).sort()).toEqual(['latest', 'v1.0', 'v1.1']);
    expect(await mirroredTags()).toEqual(expected);
    const child = await new V2Client(downstream.app, `owner:${PASSWORD}`).request(
      `/v2/mirrors/app/manifests/${arm.descriptor.digest}`,
    );
    expect(child.status).toBe(200);
    const shown = await api.get(path);
    expect(shown.body).toMatchObject({
      sync_status: 'SUCCESS',
      sync_retries_remaining: 3,
      last_sync_error: null,
      last_sync_date: quayDate(downstream.clock.now()),
      sync_start_date: quayDate(downstream.clock.now() + 3600_000),
    });
  });

  it('follows upstream changes: new tags arrive, moved tags move, gone and unmatched tags go', async () => {
    // Prepare
    const { pusher, api, path } = await start();
    await pusher.pushImage('alice/app', 'v1.0', { layer: 'one' });
    await pusher.pushImage('alice/app', 'v1.1', { layer: 'two' });
    await pusher.pushImage('alice/app', 'stable', { layer: 'stable' });
    await api.post(path, config(server!.host, ['v1.*', 'stable']));
    expectFinished((await runMirrorTick(downstream))[0], 'SUCCESS');
    await pusher.pushImage('alice/app', 'v1.2', { layer: 'three' });
    await pusher.pushImage('alice/app', 'v1.1', { layer: 'two, rebuilt' });
    await pusher.request('/v2/alice/app/manifests/v1.0', { method: 'DELETE' });
    await api.put(`${path}/rules`, { rule_kind: 'tag_glob_csv', rule_value: ['v1.*'] });

    // Act
    expect((await api.post(`${path}/sync-now`)).status).toBe(204);
    const [result] = await runMirrorTick(downstream);

    // Assess
    const finished = expectFinished(result, 'SUCCESS');
    expect(finished.copied.sort()).toEqual(['v1.1', 'v1.2']);
    expect(finished.removed.sort()).toEqual(['stable', 'v1.0']);
    expect(await mirroredTags()).toEqual(await upstreamTags(/^v1\./));
    const events = await downstream.db
      .selectFrom('registry_event')
      .select('kind')
      .where('kind', 'like', 'repo_mirror_%')
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.kind)).toEqual([
      'repo_mirror_sync_started',
      'repo_mirror_sync_success',
      'repo_mirror_sync_started',
      'repo_mirror_sync_success',
    ]);
    const logs = await api.get('/repository/mirrors/app/logs');
    expect(logs.body.logs.map((l: { kind: string }) => l.kind)).toContain(
      'repo_mirror_sync_success',
    );
  });

  it('leaves immutable tags as they are: never moved, never removed, and says which', async () => {
    const { pusher, api, path } = await start();
    await pusher.pushImage('alice/app', 'v1.0', { layer: 'one' });
    await pusher.pushImage('alice/app', 'v1.1', { layer: 'two' });
    await api.post(path, config(server!.host, ['v1.*']));
    expectFinished((await runMirrorTick(downstream))[0], 'SUCCESS');
    const before = await mirroredTags();
    const policy = await api.post('/repository/mirrors/app/immutabilitypolicy/', {
      tagPattern: '^v1\\.[01]$',
    });
    expect(policy.status).toBe(201);
    await pusher.pushImage('alice/app', 'v1.1', { layer: 'two, rebuilt' });
    await pusher.request('/v2/alice/app/manifests/v1.0', { method: 'DELETE' });
    await pusher.pushImage('alice/app', 'v1.2', { layer: 'three' });

    expect((await api.post(`${path}/sync-now`)).status).toBe(204);
    const [result] = await runMirrorTick(downstream);

    const finished = expectFinished(result, 'FAIL');
    expect(finished.copied).toEqual(['v1.2']);
    const after = await mirroredTags();
    expect(after['v1.0']).toBe(before['v1.0']);
    expect(after['v1.1']).toBe(before['v1.1']);
    expect(after['v1.2']).toBeDefined();
    const status = (await api.get(path)).body;
    expect(status.sync_status).toBe('FAIL');
    expect(status.last_sync_error).toContain('v1.1: tag v1.1 is immutable');

    // Only v1.0 covered now: v1.1 follows upstream, v1.0 (gone upstream) stays, and says so.
    const uuid = policy.body.uuid as string;
    const narrowed = await api.put(`/repository/mirrors/app/immutabilitypolicy/${uuid}`, {
      tagPattern: '^v1\\.0$',
    });
    expect(narrowed.status).toBe(204);
    expect((await api.post(`${path}/sync-now`)).status).toBe(204);
    const second = expectFinished((await runMirrorTick(downstream))[0], 'FAIL');
    expect(second.copied).toEqual(['v1.1']);
    expect((await mirroredTags())['v1.0']).toBe(before['v1.0']);
    expect((await api.get(path)).body.last_sync_error).toContain('v1.0: tag v1.0 is immutable');
  });

  it('fails with a readable reason on wrong credentials, changing nothing, and retries', async () => {
    // Prepare
    const { pusher, api, path } = await start();
    await pusher.pushImage('alice/app', 'v1.0');
    await api.post(path, config(server!.host, ['*'], 'not the password'));

    // Act
    const [result] = await runMirrorTick(downstream);
    const shown = await api.get(path);

    // Assess
    expectFinished(result, 'FAIL');
    expect(shown.body.sync_status).toBe('FAIL');
    expect(shown.body.last_sync_error).toMatch(/refused the credentials/);
    expect(shown.body.sync_retries_remaining).toBe(2);
    expect(shown.body.sync_start_date).toBe(quayDate(downstream.clock.now()));
    expect(await mirroredTags()).toEqual({});
    const failed = await downstream.db
      .selectFrom('audit_log')
      .select(['kind', 'performer_name', 'metadata'])
      .where('kind', '=', 'repo_mirror_sync_failed')
      .executeTakeFirstOrThrow();
    expect(failed.performer_name).toBe('mirrors+sync');
    expect(String(failed.metadata.message)).toMatch(/refused the credentials/);
  });

  it('with rollback, an upstream that dies mid-sync leaves the previous tags', async () => {
    // Prepare
    const { pusher, api, path } = await start({ rollback: true });
    await pusher.pushImage('alice/app', 'v1', { layer: 'first' });
    await api.post(path, config(server!.host, ['*']));
    expectFinished((await runMirrorTick(downstream))[0], 'SUCCESS');
    const before = await mirroredTags();
    await pusher.pushImage('alice/app', 'v1', { layer: 'first, rebuilt' });
    await pusher.pushImage('alice/app', 'v2', { layer: 'second' });
    failWhen = (request) => new URL(request.url).pathname.endsWith('/manifests/v2');

    // Act
    await api.post(`${path}/sync-now`);
    const [result] = await runMirrorTick(downstream);

    // Assess
    const finished = expectFinished(result, 'FAIL');
    expect(finished.outcome.error).toMatch(/v2: .*rolled back/);
    expect(await mirroredTags()).toEqual(before);
  });

  it('best effort keeps what copied when the upstream dies mid-sync', async () => {
    // Prepare
    const { pusher, api, path } = await start({ rollback: false });
    await pusher.pushImage('alice/app', 'v1', { layer: 'first' });
    await pusher.pushImage('alice/app', 'v2', { layer: 'second' });
    await pusher.pushImage('alice/app', 'v3', { layer: 'third' });
    const expected = await upstreamTags(/^v1$/);
    await api.post(path, config(server!.host, ['*']));
    failWhen = (request) => new URL(request.url).pathname.endsWith('/manifests/v2');

    // Act
    const [result] = await runMirrorTick(downstream);

    // Assess
    const finished = expectFinished(result, 'FAIL');
    expect(finished.copied).toEqual(['v1']);
    expect(finished.outcome.error).toMatch(/2 of 3 tag\(s\) failed: v2: .*; v3: /);
    expect(await mirroredTags()).toEqual(expected);
  });

  it('cancel during a sync stops it before the next tag', async () => {
    // Prepare
    const { pusher, api, path } = await start();
    for (const tag of ['a', 'b', 'c']) await pusher.pushImage('alice/app', tag, { layer: tag });
    await api.post(path, config(server!.host, ['*']));
    onRequest = async (request) => {
      if (new URL(request.url).pathname.endsWith('/manifests/a')) {
        onRequest = undefined;
        expect((await api.post(`${path}/sync-cancel`)).status).toBe(204);
      }
    };

    // Act
    const [result] = await runMirrorTick(downstream);

    // Assess
    expect(result?.kind).toBe('stopped');
    expect(Object.keys(await mirroredTags())).toEqual(['a']);
    expect((await api.get(path)).body.sync_status).toBe('CANCEL');
  });

  it('hands a run that runs out of time on to a new job, which finishes it', async () => {
    // Prepare
    const { pusher, api, path } = await start({ tagBudgetMs: 60_000 });
    for (const tag of ['a', 'b', 'c']) await pusher.pushImage('alice/app', tag, { layer: tag });
    await api.post(path, config(server!.host, ['*']));
    const deadlineMs = downstream.clock.now() + 60_000;
    // Each tag's manifest request takes (on the downstream clock) a second.
    onRequest = (request) => {
      if (request.url.includes('/manifests/')) downstream.clock.advance(1000);
      return Promise.resolve();
    };
    await (
      await import('../../shared/workers/scheduled-tasks.js')
    ).SCHEDULED_TASKS['mirror-schedule'](downstream.workers);
    const [first] = await downstream.queue.receive(1, 60_000);

    // Act
    const handedOn = await handleJob(downstream.workers, first!.job, { deadlineMs });
    await downstream.queue.delete(first!.receipt);
    const [next] = await downstream.queue.receive(1, 60_000);
    const midway = await api.get(path);
    const finished = await handleJob(downstream.workers, next!.job);

    // Assess
    expect(handedOn).toEqual({ kind: 'handed-on', next: 1 });
    expect(next!.job).toMatchObject({ kind: 'mirror-sync', token: expect.any(String) });
    expect(midway.body.sync_status).toBe('SYNCING');
    expectFinished(finished, 'SUCCESS');
    expect(Object.keys(await mirroredTags()).sort()).toEqual(['a', 'b', 'c']);
  });

  it("takes over a crashed worker's sync once its lease lapses", async () => {
    // Prepare
    const { pusher, api, path } = await start({ leaseMs: 60_000 });
    await pusher.pushImage('alice/app', 'v1');
    await api.post(path, config(server!.host, ['*']));
    const repositoryId = (
      await downstream.db
        .selectFrom('repo_mirror')
        .select('repository_id')
        .executeTakeFirstOrThrow()
    ).repository_id;
    const mirrors = downstream.workers.mirror.mirrors;
    const now = downstream.clock.now();
    expect(
      await mirrors.claim(Number(repositoryId), 'crashed-worker', now, now + 60_000),
    ).not.toBeNull();

    // Act
    const whileHeld = await runMirrorTick(downstream);
    downstream.clock.advance(61_000);
    const afterLapse = await runMirrorTick(downstream);

    // Assess
    expect(whileHeld).toEqual([]);
    expectFinished(afterLapse[0], 'SUCCESS');
    expect(Object.keys(await mirroredTags())).toEqual(['v1']);
  });
});
