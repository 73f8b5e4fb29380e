import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

const HOUR = 60 * 60 * 1000;

describe('auto-prune: policies through the REST API, applied by the prune worker', () => {
  let t: TestRegistry;
  let admin: ApiClient;
  let member: ApiClient;
  let v2: V2Client;
  const orgPolicies = '/organization/acme/autoprunepolicy';

  const liveTags = async (repo: string) => {
    const body = (await (await v2.request(`/v2/${repo}/tags/list`)).json()) as { tags: string[] };
    return body.tags;
  };
  const prune = () => SCHEDULED_TASKS.autoprune(t.workers);

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    const olivia = await createUser(t, 'olivia');
    await createUser(t, 'mia');
    const { orgs } = identity(t);
    await orgs.create(olivia, 'acme', null);
    await orgs.saveTeam(olivia, 'acme', 'devs', 'creator', '');
    await orgs.addTeamMember(olivia, 'acme', 'devs', 'mia');
    admin = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
    member = new ApiClient(t.app, { basic: `mia:${PASSWORD}` });
    v2 = new V2Client(t.app, `olivia:${PASSWORD}`);
    for (const tag of ['v1', 'v2', 'v3', 'v4', 'dev-1', 'dev-2']) {
      await v2.pushImage('acme/app', tag, { layer: `app ${tag}` });
      await v2.pushImage('acme/lib', tag, { layer: `lib ${tag}` });
      t.clock.advance(HOUR);
    }
  });
  afterAll(() => t.close());

  it('refuses malformed policies and non-administrators, creating nothing', async () => {
    for (const bad of [
      { method: 'number_of_tags', value: 0 },
      { method: 'number_of_tags', value: 'ten' },
      { method: 'creation_date', value: 7 },
      { method: 'creation_date', value: 'a fortnight' },
      { method: 'oldest_first', value: 3 },
      { method: 'number_of_tags', value: 3, tagPattern: '([' },
      { method: 'number_of_tags', value: 3, colour: 'red' },
    ]) {
      const response = await admin.post(orgPolicies, bad);
      expect(response.status, JSON.stringify(bad)).toBe(400);
      expect(response.body.error_message).toBeTruthy();
    }
    expect((await member.post(orgPolicies, { method: 'number_of_tags', value: 3 })).status).toBe(
      403,
    );
    expect((await admin.get(orgPolicies)).body).toEqual({ policies: [] });
    expect(await t.db.selectFrom('autoprune_task').selectAll().execute()).toEqual([]);
  });

  it('keeps the newest tags of every repository of a namespace under number_of_tags', async () => {
    const created = await admin.post(orgPolicies, {
      method: 'number_of_tags',
      value: 3,
      tagPattern: '^v',
    });
    expect(created.status).toBe(201);
    const { uuid } = created.body;
    expect((await admin.get(orgPolicies)).body).toEqual({
      policies: [{ uuid, method: 'number_of_tags', value: 3, tagPattern: '^v' }],
    });
    expect((await admin.get(`${orgPolicies}/${uuid}`)).body).toMatchObject({ uuid, value: 3 });
    // The policy's task row came with it, never run yet.
    const [task] = await t.db.selectFrom('autoprune_task').selectAll().execute();
    expect(task).toMatchObject({ last_ran_ms: null });

    expect(await prune()).toBe(2);
    // Only v* tags count and go: the oldest one of each repository.
    expect(await liveTags('acme/app')).toEqual(['dev-1', 'dev-2', 'v2', 'v3', 'v4']);
    expect(await liveTags('acme/lib')).toEqual(['dev-1', 'dev-2', 'v2', 'v3', 'v4']);
    const logs = (await admin.get('/repository/acme/app/logs')).body.logs;
    const pruned = logs.filter((l: { kind: string }) => l.kind === 'autoprune_tag_delete');
    expect(pruned).toHaveLength(1);
    expect(pruned[0].metadata).toMatchObject({ tag: 'v1', namespace: 'acme', repo: 'acme/app' });
    const ran = await t.db.selectFrom('autoprune_task').selectAll().executeTakeFirstOrThrow();
    expect(ran).toMatchObject({ last_ran_ms: t.clock.now(), status: 'success: 2 tags pruned' });

    // A pruned tag is only ended: it stays in the time machine, restorable.
    const restore = await admin.post('/repository/acme/app/tag/v1/restore', {
      manifest_digest: (await admin.get('/repository/acme/app/tag?specificTag=v1')).body.tags[0]
        .manifest_digest,
    });
    expect(restore.status).toBe(200);
    expect(await liveTags('acme/app')).toContain('v1');

    const changed = await admin.put(`${orgPolicies}/${uuid}`, {
      method: 'number_of_tags',
      value: 2,
      tagPattern: '^v',
    });
    expect(changed.status).toBe(204);
    t.clock.advance(1000);
    // The restored v1 started again now: it is the newest.
    expect(await prune()).toBe(3);
    expect(await liveTags('acme/app')).toEqual(['dev-1', 'dev-2', 'v1', 'v4']);
    expect(await liveTags('acme/lib')).toEqual(['dev-1', 'dev-2', 'v3', 'v4']);
  });

  it('applies repository policies to their repository only, by tag pattern and age', async () => {
    const path = '/repository/acme/lib/autoprunepolicy';
    // Not an administrator of the repository (nor able to see it): as if it did not exist.
    expect((await member.post(path, { method: 'creation_date', value: '1d' })).status).toBe(404);
    const created = await admin.post(path, {
      method: 'creation_date',
      value: '1h',
      tagPattern: '^dev-',
      tagPatternMatches: true,
    });
    expect(created.status).toBe(201);
    t.clock.advance(1000);
    await prune();
    // dev-1 was pushed two hours ago, dev-2 just over one: both are older than 1h.
    expect(await liveTags('acme/lib')).toEqual(['v3', 'v4']);
    expect((await admin.get(path)).body.policies).toHaveLength(1);
    expect((await admin.get(orgPolicies)).body.policies).toHaveLength(1);
  });

  it("prunes a user's own namespace, and drops the task once no policy is left", async () => {
    const mine = new V2Client(t.app, `mia:${PASSWORD}`);
    for (const tag of ['a', 'b', 'c']) {
      await mine.pushImage('mia/tool', tag, { layer: tag });
      t.clock.advance(1000);
    }
    const created = await member.post('/user/autoprunepolicy', {
      method: 'number_of_tags',
      value: '1',
    });
    expect(created.status).toBe(201);
    await prune();
    expect(
      ((await (await mine.request('/v2/mia/tool/tags/list')).json()) as { tags: string[] }).tags,
    ).toEqual(['c']);

    const deleted = await member.delete(`/user/autoprunepolicy/${created.body.uuid}`);
    expect(deleted).toEqual({ status: 200, body: { uuid: created.body.uuid } });
    expect((await member.get(`/user/autoprunepolicy/${created.body.uuid}`)).status).toBe(404);
    const mia = (await t.access.deps.store.findAccount('mia'))!;
    t.clock.advance(1000);
    await prune();
    expect(await t.workers.prune.taskStatus(mia.id)).toBeNull();
  });
});
