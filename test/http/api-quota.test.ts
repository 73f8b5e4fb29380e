import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { errorCode, V2Client } from '../support/v2-client.js';
import { expectSizesMatchRecount } from '../support/quota.js';

describe('REST API v1: namespace quotas, and pushes they warn about or refuse', () => {
  let t: TestRegistry;
  let superuser: ApiClient;
  let orgAdmin: ApiClient;
  let member: ApiClient;
  let outsider: ApiClient;
  let pusher: V2Client;
  const quotaPath = '/organization/acme/quota';
  const layer = (n: number) => `${n}`.repeat(1000).slice(0, 1000);

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    await createUser(t, 'admin');
    const olivia = await createUser(t, 'olivia');
    const mia = await createUser(t, 'mia');
    await createUser(t, 'oscar');
    const { orgs } = identity(t);
    await orgs.create(olivia, 'acme', null);
    await orgs.saveTeam(olivia, 'acme', 'devs', 'member', '');
    await orgs.addTeamMember(olivia, 'acme', 'devs', mia.kind === 'user' ? mia.account.name : '');
    superuser = new ApiClient(t.app, { basic: `admin:${PASSWORD}` });
    orgAdmin = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
    member = new ApiClient(t.app, { basic: `mia:${PASSWORD}` });
    outsider = new ApiClient(t.app, { basic: `oscar:${PASSWORD}` });
    pusher = new V2Client(t.app, `olivia:${PASSWORD}`);
  });
  afterAll(() => t.close());

  const namespaceSize = async () => (await expectSizesMatchRecount(t)).acme ?? 0;

  it('lets superusers set a quota with limits, members read it, and nobody else', async () => {
    await pusher.pushImage('acme/app', 'v1', { layer: layer(1) });
    const first = await namespaceSize();

    expect((await orgAdmin.post(quotaPath, { limit_bytes: 2 * first })).status).toBe(403);
    expect(await orgAdmin.get(quotaPath)).toEqual({ status: 200, body: [] });
    const created = await superuser.post(quotaPath, { limit_bytes: 2 * first });
    expect(created).toEqual({ status: 201, body: 'Created' });
    expect((await superuser.post(quotaPath, { limit_bytes: 5 })).status).toBe(400);
    for (const bad of [{ limit_bytes: -1 }, { limit_bytes: 10, colour: 'red' }, {}]) {
      expect((await superuser.post('/organization/acme/quota', bad)).status).toBe(400);
    }

    const [quota] = (await member.get(quotaPath)).body;
    expect(quota).toMatchObject({
      limit_bytes: 2 * first,
      default_config: false,
      limits: [],
      default_config_exists: false,
    });
    expect(quota.limit).toMatch(/^\d+\.\d KiB$/);
    expect((await outsider.get(quotaPath)).status).toBe(403);

    const limits = `${quotaPath}/${quota.id}/limit`;
    expect((await superuser.post(limits, { type: 'Warning', threshold_percent: 75 })).status).toBe(
      201,
    );
    expect((await superuser.post(limits, { type: 'Reject', threshold_percent: 100 })).status).toBe(
      201,
    );
    expect((await superuser.post(limits, { type: 'Reject', threshold_percent: 100 })).status).toBe(
      400,
    );
    expect((await superuser.post(limits, { type: 'Block', threshold_percent: 10 })).status).toBe(
      400,
    );
    expect((await superuser.post(limits, { type: 'Warning', threshold_percent: 101 })).status).toBe(
      400,
    );
    expect((await orgAdmin.post(limits, { type: 'Warning', threshold_percent: 10 })).status).toBe(
      403,
    );
    const listed = (await member.get(limits)).body;
    expect(
      listed.map((l: { type: string; limit_percent: number }) => [l.type, l.limit_percent]),
    ).toEqual([
      ['Warning', 75],
      ['Reject', 100],
    ]);
    const one = await member.get(`${limits}/${listed[0].id}`);
    expect(one.body).toEqual(listed[0]);
    expect((await member.get(`${quotaPath}/${quota.id + 99}`)).status).toBe(404);
  });

  it('records a quota_warning when a push crosses a Warning limit', async () => {
    await pusher.pushImage('acme/app', 'v2', { layer: layer(2) });
    const logs = (await orgAdmin.get('/organization/acme/logs')).body.logs;
    const warning = logs.find((l: { kind: string }) => l.kind === 'quota_warning');
    expect(warning).toBeDefined();
    expect(warning.metadata).toMatchObject({ namespace: 'acme', repo: 'acme/app' });
    // Every push records its repo_push event beside it.
    const events = await t.db
      .selectFrom('registry_event')
      .select(['kind', 'payload', 'delivered_at_ms'])
      .where('kind', '!=', 'repo_push')
      .execute();
    expect(events).toEqual([
      {
        kind: 'quota_warning',
        payload: expect.objectContaining({ namespace: 'acme', repository: 'acme/app' }),
        delivered_at_ms: null,
      },
    ]);
    // Already past it: the next push under the reject limit does not warn again.
  });

  it('refuses a manifest that would cross a Reject limit with DENIED, storing nothing', async () => {
    const before = await namespaceSize();
    const config = await pusher.pushBlob('acme/app', '{"architecture":"amd64","os":"linux"}');
    const big = await pusher.pushBlob('acme/app', layer(3).repeat(3));
    const response = await pusher.putManifest('acme/app', 'v3', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
      layers: [big],
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.code).toBe('DENIED');
    expect(body.errors[0]!.message).toMatch(/^Quota has been exceeded on namespace acme/);
    expect((await pusher.request('/v2/acme/app/manifests/v3', { method: 'HEAD' })).status).toBe(
      404,
    );
    expect(await namespaceSize()).toBe(before);
  });

  it('refuses new uploads once the namespace is at a Reject limit', async () => {
    const size = await namespaceSize();
    const [quota] = (await member.get(quotaPath)).body;
    const changed = await superuser.put(`${quotaPath}/${quota.id}`, { limit_bytes: size });
    expect(changed.status).toBe(200);
    expect(changed.body.limit_bytes).toBe(size);
    const start = await pusher.request('/v2/acme/app/blobs/uploads/', { method: 'POST' });
    expect(start.status).toBe(403);
    expect(await errorCode(start)).toBe('DENIED');
    // Re-tagging adds nothing, so it is still allowed.
    const v1 = await pusher.request('/v2/acme/app/manifests/v1');
    const retag = await pusher.request('/v2/acme/app/manifests/stable', {
      method: 'PUT',
      body: await v1.arrayBuffer(),
      headers: { 'Content-Type': v1.headers.get('content-type')! },
    });
    expect(retag.status).toBe(201);

    const reject = quota.limits.find((l: { type: string }) => l.type === 'Reject');
    const raised = await superuser.put(`${quotaPath}/${quota.id}/limit/${reject.id}`, {
      threshold_percent: 100,
      type: 'Warning',
    });
    expect(raised.body).toEqual({ id: reject.id, type: 'Warning', limit_percent: 100 });
    expect((await pusher.request('/v2/acme/app/blobs/uploads/', { method: 'POST' })).status).toBe(
      202,
    );
  });

  it("shows users their own namespace's quota read-only, and superusers any namespace", async () => {
    expect(
      (await superuser.post('/superuser/users/oscar/quota', { limit_bytes: 4096 })).status,
    ).toBe(201);
    const mine = await outsider.get('/user/quota');
    expect(mine.body).toMatchObject([{ limit_bytes: 4096, limit: '4.0 KiB', limits: [] }]);
    expect((await outsider.post('/user/quota', { limit_bytes: 1 })).status).toBe(404);
    const theirs = await superuser.get('/superuser/users/oscar/quota');
    expect(theirs.body).toEqual(mine.body);
    expect((await superuser.delete(`/superuser/users/oscar/quota/${mine.body[0].id}`)).status).toBe(
      204,
    );
    expect((await outsider.get('/user/quota')).body).toEqual([]);
    expect((await orgAdmin.get('/superuser/organization/acme/quota')).status).toBe(403);
  });

  it('reports the registry size to superusers after the quota worker computed it', async () => {
    expect((await orgAdmin.get('/superuser/registrysize')).status).toBe(403);
    expect((await superuser.post('/superuser/registrysize')).status).toBe(201);
    expect((await superuser.get('/superuser/registrysize')).body).toMatchObject({ queued: true });
    await t.workers.quota.computeRegistrySize(t.clock.now(), 60_000);
    const size = (await superuser.get('/superuser/registrysize')).body;
    expect(size).toEqual({
      size_bytes: await t.workers.quota.recount('everything'),
      last_ran: Math.floor(t.clock.now() / 1000),
      queued: false,
      running: false,
    });
    expect(size.size_bytes).toBeGreaterThan(0);
  });
  it('shows usage where people look: quota_report in the organization, user and repository views and the repository list', async () => {
    const size = await namespaceSize();
    const limit = (await member.get(quotaPath)).body[0].limit_bytes as number;
    const org = (await member.get('/organization/acme')).body;
    expect(org.quota_report).toEqual({
      quota_bytes: size,
      configured_quota: limit,
      running_backfill: 'complete',
      backfill_status: 'complete',
    });
    expect(org.quotas).toEqual([expect.objectContaining({ limit_bytes: limit })]);
    // Not for someone outside the organization.
    const seen = await outsider.get('/organization/acme');
    expect(seen.body.quota_report).toBeUndefined();

    await new V2Client(t.app, `oscar:${PASSWORD}`).pushImage('oscar/own', 'v1', {
      layer: layer(9),
    });
    const me = (await outsider.get('/user/')).body;
    expect(me.quota_report).toMatchObject({ configured_quota: null });
    expect(me.quota_report.quota_bytes).toBe((await expectSizesMatchRecount(t)).oscar);

    const repo = (await orgAdmin.get('/repository/acme/app')).body;
    const repoBytes = (await expectSizesMatchRecount(t))['acme/app']!;
    expect(repoBytes).toBeGreaterThan(0);
    expect(repo.quota_report).toEqual({ quota_bytes: repoBytes, configured_quota: limit });
    const listed = (await orgAdmin.get('/repository?namespace=acme')).body.repositories;
    expect(listed.find((r: { name: string }) => r.name === 'app').quota_report).toEqual({
      quota_bytes: repoBytes,
      configured_quota: limit,
    });
  });
});
