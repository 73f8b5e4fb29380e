import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

/**
 * FEATURE_QUOTA_MANAGEMENT and FEATURE_AUTO_PRUNE switched off, on a
 * registry whose quota and prune policy were set while they were on (a
 * second server on the same database, with both features on).
 */
describe('quota management and auto-prune switched off', () => {
  let on: TestRegistry;
  let off: TestRegistry;
  let superuser: ApiClient;
  let owner: ApiClient;
  let pusher: V2Client;

  beforeAll(async () => {
    on = await startTestRegistry({ access: { enabled: true } });
    off = await startTestRegistry({
      shareWith: on,
      access: { enabled: true, quotaEnabled: false, autopruneEnabled: false },
    });
    await createUser(on, 'admin');
    const olivia = await createUser(on, 'olivia');
    await identity(on).orgs.create(olivia, 'acme', null);
    const pushOn = new V2Client(on.app, `olivia:${PASSWORD}`);
    for (const tag of ['v1', 'v2', 'v3']) {
      await pushOn.pushImage('acme/app', tag, { layer: `app ${tag}` });
      on.clock.advance(60_000);
    }
    const onAdmin = new ApiClient(on.app, { basic: `admin:${PASSWORD}` });
    // A quota the namespace is already past, refusing every push while enforced.
    expect((await onAdmin.post('/organization/acme/quota', { limit_bytes: 1000 })).status).toBe(
      201,
    );
    const [quota] = (await onAdmin.get('/organization/acme/quota')).body;
    const limits = `/organization/acme/quota/${quota.id}/limit`;
    expect((await onAdmin.post(limits, { type: 'Reject', threshold_percent: 50 })).status).toBe(
      201,
    );
    const onOwner = new ApiClient(on.app, { basic: `olivia:${PASSWORD}` });
    const policy = { method: 'number_of_tags', value: 1 };
    expect((await onOwner.post('/organization/acme/autoprunepolicy/', policy)).status).toBe(201);

    superuser = new ApiClient(off.app, { basic: `admin:${PASSWORD}` });
    owner = new ApiClient(off.app, { basic: `olivia:${PASSWORD}` });
    pusher = new V2Client(off.app, `olivia:${PASSWORD}`);
  });
  afterAll(async () => {
    await off?.close();
    await on?.close();
  });

  it('answers 404 on the quota API and shows no quota_report', async () => {
    for (const path of ['/organization/acme/quota', '/user/quota']) {
      const answer = await superuser.get(path);
      expect(answer.status).toBe(404);
      expect(answer.body.error_type).toBe('not_found');
    }
    expect((await superuser.post('/organization/acme/quota', { limit_bytes: 5000 })).status).toBe(
      404,
    );
    expect((await owner.get('/organization/acme')).body).not.toHaveProperty('quota_report');
    expect((await owner.get('/repository/acme/app')).body).not.toHaveProperty('quota_report');
    expect((await owner.get('/user/')).body).not.toHaveProperty('quota_report');
  });

  it('applies no quota: a push the Reject limit would refuse goes through', async () => {
    const refusedWhenOn = await new V2Client(on.app, `olivia:${PASSWORD}`).request(
      '/v2/acme/app/blobs/uploads/',
      { method: 'POST' },
    );
    expect(refusedWhenOn.status).toBe(403);
    await pusher.pushImage('acme/app', 'v4', { layer: 'pushed with quotas off' });
    await pusher.pushImage('acme/fresh', 'v1', { layer: 'a new repository' });
  });

  it('answers 404 on the auto-prune API, and its housekeeping prunes nothing', async () => {
    expect((await owner.get('/organization/acme/autoprunepolicy/')).status).toBe(404);
    const create = await owner.post('/organization/acme/autoprunepolicy/', {
      method: 'number_of_tags',
      value: 2,
    });
    expect(create.status).toBe(404);
    await SCHEDULED_TASKS.housekeeping(off.workers);
    const listed = (await (await pusher.request('/v2/acme/app/tags/list')).json()) as {
      tags: string[];
    };
    expect(listed.tags).toEqual(['v1', 'v2', 'v3', 'v4']);
    // With the feature on, the same policy prunes down to one tag.
    await SCHEDULED_TASKS.housekeeping(on.workers);
    const pruned = (await (await pusher.request('/v2/acme/app/tags/list')).json()) as {
      tags: string[];
    };
    expect(pruned.tags).toHaveLength(1);
  });
});
