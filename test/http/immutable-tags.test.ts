import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { errorCode, V2Client } from '../support/v2-client.js';

const DAY = 24 * 3600 * 1000;

describe('immutable tags (FEATURE_IMMUTABLE_TAGS)', () => {
  let t: TestRegistry;
  let admin: ApiClient;
  let writer: ApiClient;
  let v2: V2Client;
  const tags = '/repository/acme/app/tag';

  const tagState = async (tag: string) => {
    const { body } = await admin.get(`${tags}/?onlyActiveTags=true&specificTag=${tag}`);
    return body.tags[0] as { manifest_digest: string; immutable: boolean; end_ts?: number };
  };
  const liveTags = async () =>
    ((await (await v2.request('/v2/acme/app/tags/list')).json()) as { tags: string[] }).tags;

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    const olivia = await createUser(t, 'olivia');
    await createUser(t, 'wes');
    const { orgs, repos } = identity(t);
    await orgs.create(olivia, 'acme', null);
    admin = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
    writer = new ApiClient(t.app, { basic: `wes:${PASSWORD}` });
    v2 = new V2Client(t.app, `olivia:${PASSWORD}`);
    for (const tag of ['v1', 'v2', 'latest']) {
      await v2.pushImage('acme/app', tag, { layer: `app ${tag}` });
      t.clock.advance(60_000);
    }
    await repos.setPermission(olivia, 'acme/app', 'account', 'wes', 'write');
  });
  afterAll(() => t.close());

  it('a tag made immutable is never overwritten, moved, deleted or expired, by push or API', async () => {
    const before = await tagState('v1');
    expect(before.immutable).toBe(false);
    expect((await writer.put(`${tags}/v1`, { immutable: true })).status).toBe(201);
    expect(await tagState('v1')).toMatchObject({ immutable: true });

    // A push of other content to it is refused in the OCI terms skopeo and podman show.
    const other = await v2.pushImage('acme/app', 'scratch', { layer: 'other content' });
    const overwrite = await v2.putManifest('acme/app', 'v1', other.manifest);
    expect(overwrite.status).toBe(403);
    const body = (await overwrite.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]).toMatchObject({ code: 'DENIED' });
    expect(body.errors[0]!.message).toContain('tag v1 is immutable');
    // The same content again changes nothing, so it is fine.
    const v1 = await v2.request(`/v2/acme/app/manifests/${before.manifest_digest}`);
    const same = await v2.request('/v2/acme/app/manifests/v1', {
      method: 'PUT',
      body: await v1.arrayBuffer(),
      headers: { 'Content-Type': v1.headers.get('content-type')! },
    });
    expect(same.status).toBe(201);

    const moved = await admin.put(`${tags}/v1`, { manifest_digest: other.descriptor.digest });
    expect(moved.status).toBe(400);
    expect(moved.body.error_message).toContain('immutable');
    expect((await admin.delete(`${tags}/v1`)).status).toBe(400);
    const expiration = Math.floor(t.clock.now() / 1000) + 3600;
    expect((await admin.put(`${tags}/v1`, { expiration })).status).toBe(400);
    const deleteTag = await v2.request('/v2/acme/app/manifests/v1', { method: 'DELETE' });
    expect(deleteTag.status).toBe(403);
    expect(await errorCode(deleteTag)).toBe('DENIED');
    const deleteManifest = await v2.request(`/v2/acme/app/manifests/${before.manifest_digest}`, {
      method: 'DELETE',
    });
    expect(deleteManifest.status).toBe(403);
    expect(await tagState('v1')).toMatchObject({
      manifest_digest: before.manifest_digest,
      immutable: true,
    });

    // Only an administrator makes it mutable again; then it moves.
    expect((await writer.put(`${tags}/v1`, { immutable: false })).status).toBe(403);
    const cleared = await admin.put(`${tags}/v1`, {
      immutable: false,
      manifest_digest: other.descriptor.digest,
    });
    expect(cleared.status).toBe(201);
    expect(await tagState('v1')).toMatchObject({
      manifest_digest: other.descriptor.digest,
      immutable: false,
    });
  });

  it('making a tag immutable drops its expiry, so it lives on', async () => {
    const expiration = Math.floor(t.clock.now() / 1000) + 3600;
    expect((await admin.put(`${tags}/latest`, { expiration })).status).toBe(201);
    expect((await tagState('latest')).end_ts).toBe(expiration);
    expect((await admin.put(`${tags}/latest`, { immutable: true })).status).toBe(201);
    t.clock.advance(2 * 3600 * 1000);
    expect(await liveTags()).toContain('latest');
    expect((await tagState('latest')).end_ts).toBeUndefined();
    await admin.put(`${tags}/latest`, { immutable: false });
  });

  it('an organization policy covers existing and new tags by pattern; auto-prune leaves them', async () => {
    const policies = '/organization/acme/immutabilitypolicy';
    expect((await writer.post(`${policies}/`, { tagPattern: '^v[0-9]+$' })).status).toBe(403);
    const bad = await admin.post(`${policies}/`, { tagPattern: '([' });
    expect(bad.status).toBe(400);
    const created = await admin.post(`${policies}/`, { tagPattern: '^v[0-9]+$' });
    expect(created.status).toBe(201);
    const { uuid } = created.body as { uuid: string };
    expect((await admin.post(`${policies}/`, { tagPattern: '^v[0-9]+$' })).status).toBe(400);
    expect((await admin.get(`${policies}/`)).body).toEqual({
      policies: [{ uuid, tagPattern: '^v[0-9]+$', tagPatternMatches: true }],
    });

    expect(await tagState('v2')).toMatchObject({ immutable: true });
    expect(await tagState('latest')).toMatchObject({ immutable: false });
    // A new tag the policy covers can be created, and is immutable from then on.
    await v2.pushImage('acme/app', 'v3', { layer: 'app v3' });
    expect(await tagState('v3')).toMatchObject({ immutable: true });
    const again = await v2.pushImage('acme/app', 'scratch2', { layer: 'yet other content' });
    expect((await v2.putManifest('acme/app', 'v3', again.manifest)).status).toBe(403);
    // Tags the policy does not cover still move.
    expect((await v2.putManifest('acme/app', 'latest', again.manifest)).status).toBe(201);

    // Pruning down to one tag keeps every immutable one.
    const prune = await admin.post('/organization/acme/autoprunepolicy/', {
      method: 'number_of_tags',
      value: 1,
    });
    expect(prune.status).toBe(201);
    await SCHEDULED_TASKS.autoprune(t.workers);
    const left = await liveTags();
    expect(left).toEqual(expect.arrayContaining(['v1', 'v2', 'v3']));
    expect(left).toHaveLength(4);
    await admin.delete(`/organization/acme/autoprunepolicy/${prune.body.uuid}`);

    // A repository policy with the opposite sense: everything but dev-* is immutable.
    const repoPolicies = '/repository/acme/app/immutabilitypolicy';
    const inverse = await admin.post(`${repoPolicies}/`, {
      tagPattern: '^dev-',
      tagPatternMatches: false,
    });
    expect(inverse.status).toBe(201);
    expect(await tagState('latest')).toMatchObject({ immutable: true });
    await v2.pushImage('acme/app', 'dev-1', { layer: 'dev 1' });
    expect((await v2.putManifest('acme/app', 'dev-1', again.manifest)).status).toBe(201);
    expect((await admin.delete(`${repoPolicies}/${inverse.body.uuid}`)).status).toBe(200);
    expect((await admin.delete(`${policies}/${uuid}`)).status).toBe(200);
    expect(await tagState('v2')).toMatchObject({ immutable: false });
    t.clock.advance(DAY);
  });
});

describe('immutable tags switched off', () => {
  it('answers 404 on their API and enforces no flag', async () => {
    const on = await startTestRegistry({ access: { enabled: true } });
    const off = await startTestRegistry({
      shareWith: on,
      access: { enabled: true, immutableTags: false },
    });
    try {
      const olivia = await createUser(on, 'olivia');
      await identity(on).orgs.create(olivia, 'acme', null);
      const pushOn = new V2Client(on.app, `olivia:${PASSWORD}`);
      await pushOn.pushImage('acme/app', 'v1', { layer: 'one' });
      const onAdmin = new ApiClient(on.app, { basic: `olivia:${PASSWORD}` });
      expect((await onAdmin.put('/repository/acme/app/tag/v1', { immutable: true })).status).toBe(
        201,
      );

      const offAdmin = new ApiClient(off.app, { basic: `olivia:${PASSWORD}` });
      expect((await offAdmin.get('/organization/acme/immutabilitypolicy/')).status).toBe(404);
      expect((await offAdmin.put('/repository/acme/app/tag/v1', { immutable: false })).status).toBe(
        404,
      );
      const pushOff = new V2Client(off.app, `olivia:${PASSWORD}`);
      const other = await pushOff.pushImage('acme/app', 'scratch', { layer: 'two' });
      expect((await pushOff.putManifest('acme/app', 'v1', other.manifest)).status).toBe(201);
    } finally {
      await off.close();
      await on.close();
    }
  });
});
