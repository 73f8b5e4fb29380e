import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUser, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

describe('REST API v1 (Quay paths)', () => {
  let t: TestRegistry;
  let owner: ApiClient;
  let outsider: ApiClient;
  let anonymous: ApiClient;

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    await createUser(t, 'olivia');
    await createUser(t, 'oscar');
    await createUser(t, 'tina');
    owner = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
    outsider = new ApiClient(t.app, { basic: `oscar:${PASSWORD}` });
    anonymous = new ApiClient(t.app);
  });
  afterAll(() => t.close());

  it('serves an OpenAPI document generated from the routes, and a Swagger UI', async () => {
    const { status, body } = await anonymous.get('/discovery');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.0.3');
    for (const path of [
      '/user',
      '/organization/{orgname}/team/{teamname}/members/{membername}',
      '/organization/{orgname}/robots/{robot_shortname}/regenerate',
      '/user/robots/{robot_shortname}',
      '/repository/{namespace}/{repository}/permissions/user/{username}',
      '/repository/{namespace}/{repository}/changevisibility',
      '/repository/{namespace}/{repository}/logs',
      '/user/apptoken',
      '/organization/{orgname}/immutabilitypolicy',
      '/repository/{namespace}/{repository}/immutabilitypolicy/{policy_uuid}',
      '/find/repositories',
      '/entities/{prefix}',
      '/superuser/logs',
      '/user/starred',
      '/organization/{orgname}/team/{teamname}/permissions',
      '/superuser/replication',
      '/repository/{namespace}/{repository}/notification',
      '/repository/{namespace}/{repository}/notification/{uuid}',
      '/repository/{namespace}/{repository}/notification/{uuid}/test',
      '/repository/{namespace}/{repository}/notification/{uuid}/deliveries',
      '/organization/{orgname}/notifications/{uuid}',
      '/user/namespacenotifications/{uuid}/test',
      '/user/notifications/{uuid}',
      '/repository/{namespace}/{repository}/authorizedemail/{email}',
      '/authrepoemail',
    ]) {
      expect(Object.keys(body.paths)).toContain(path);
    }
    expect(
      body.paths['/repository'].post.requestBody.content['application/json'].schema,
    ).toMatchObject({
      required: expect.arrayContaining(['namespace', 'repository', 'visibility']),
    });
    // A webhook's secret is documented as shown once, in the answer that creates it.
    const created =
      body.paths['/repository/{namespace}/{repository}/notification'].post.responses['201'];
    expect(JSON.stringify(created)).toContain('CreatedNotification');
    expect(JSON.stringify(body.components.schemas.CreatedNotification)).toContain(
      'shown this once',
    );
    const ui = await t.app.request('/api/v1/docs');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('/api/v1/discovery');
  });

  it('answers errors as Quay does', async () => {
    const unauthenticated = await anonymous.get('/user/');
    expect(unauthenticated).toEqual({
      status: 401,
      body: {
        status: 401,
        error_message: 'authentication required',
        error_type: 'invalid_token',
        title: 'invalid_token',
        detail: 'authentication required',
        type: '/api/v1/error/invalid_token',
      },
    });
    const missing = await owner.get('/nothing/here');
    expect(missing.status).toBe(404);
    expect(missing.body.error_type).toBe('not_found');
    const badCreds = await new ApiClient(t.app, { basic: 'olivia:nope' }).get('/user/');
    expect(badCreds.status).toBe(401);
  });

  it('refuses unknown fields and bad values with 400 and changes nothing', async () => {
    const unknown = await owner.post('/organization/', {
      name: 'acme',
      email: 'a@acme.io',
      plan: 'gold',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error_type).toBe('invalid_request');
    expect(unknown.body.error_message).toContain('plan');
    const badName = await owner.post('/organization/', { name: 'Not Valid!' });
    expect(badName.status).toBe(400);
    const malformed = await owner.post('/organization/', '{"name": ');
    expect(malformed.status).toBe(400);
    expect((await owner.get('/organization/acme')).status).toBe(404);
    expect(await t.access.deps.store.findAccount('Not Valid!')).toBeNull();
  });

  it('runs an organization: create, view, teams, members, robots', async () => {
    expect(await owner.post('/organization/', { name: 'acme', email: 'ops@acme.io' })).toEqual({
      status: 201,
      body: 'Created',
    });
    expect((await owner.post('/organization/', { name: 'acme' })).status).toBe(409);
    const org = await owner.get('/organization/acme');
    expect(org.body).toMatchObject({
      name: 'acme',
      email: 'ops@acme.io',
      is_admin: true,
      ordered_teams: ['owners'],
    });
    const seenByOutsider = await outsider.get('/organization/acme');
    expect(seenByOutsider.body).toMatchObject({
      is_admin: false,
      is_member: false,
      teams: {},
      email: null,
    });

    const team = await owner.put('/organization/acme/team/builders', {
      role: 'creator',
      description: 'CI',
    });
    expect(team.body).toMatchObject({
      name: 'builders',
      role: 'creator',
      description: 'CI',
      member_count: 0,
    });
    const robot = await owner.put('/organization/acme/robots/ci', { description: 'builds' });
    expect(robot.status).toBe(201);
    expect(robot.body.name).toBe('acme+ci');
    expect(robot.body.token).toMatch(/^[A-Z0-9]{64}$/);
    expect((await owner.get('/organization/acme/robots/ci')).body.token).toBeUndefined();
    expect((await owner.put('/organization/acme/team/builders/members/acme+ci')).status).toBe(200);
    expect((await owner.put('/organization/acme/team/builders/members/tina')).status).toBe(200);
    const members = await owner.get('/organization/acme/team/builders/members');
    expect(members.body.members.map((m: { name: string }) => m.name)).toEqual(['acme+ci', 'tina']);
    const allMembers = await owner.get('/organization/acme/members');
    expect(
      allMembers.body.members.map((m: { name: string; teams: { name: string }[] }) => [
        m.name,
        m.teams.map((x) => x.name),
      ]),
    ).toEqual([
      ['acme+ci', ['builders']],
      ['olivia', ['owners']],
      ['tina', ['builders']],
    ]);

    // The outsider may do none of this.
    expect((await outsider.put('/organization/acme/team/x', { role: 'admin' })).status).toBe(403);
    expect((await outsider.put('/organization/acme/robots/evil')).status).toBe(403);
    expect((await outsider.get('/organization/acme/members')).status).toBe(403);

    // The robot pushes with its token: a creator team lets it create repositories.
    const ci = new V2Client(t.app, `acme+ci:${robot.body.token}`);
    await ci.pushImage('acme/built', 'v1');
    const regenerated = await owner.post('/organization/acme/robots/ci/regenerate');
    expect(regenerated.body.token).not.toBe(robot.body.token);
    const stale = await t.app.request('/v2/auth?service=berth.test', {
      headers: {
        Authorization: basic(`acme+ci:${robot.body.token}`),
      },
    });
    expect(stale.status).toBe(401);
  });

  it('manages repositories: create, list with paging, view, describe, visibility, state, delete', async () => {
    const created = await owner.post('/repository', {
      namespace: 'acme',
      repository: 'web',
      visibility: 'private',
      description: 'the site',
    });
    expect(created).toEqual({
      status: 201,
      body: { namespace: 'acme', name: 'web', kind: 'image' },
    });
    expect(
      (
        await outsider.post('/repository', {
          namespace: 'acme',
          repository: 'x',
          visibility: 'public',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await owner.post('/repository', {
          namespace: 'acme',
          repository: 'Bad Name',
          visibility: 'public',
        })
      ).status,
    ).toBe(400);

    const view = await owner.get('/repository/acme/web');
    expect(view.body).toMatchObject({
      namespace: 'acme',
      name: 'web',
      description: 'the site',
      is_public: false,
      is_organization: true,
      state: 'NORMAL',
      can_write: true,
      can_admin: true,
    });
    // Hidden and missing look the same.
    const hidden = await outsider.get('/repository/acme/web');
    const missing = await outsider.get('/repository/acme/none');
    expect(hidden.status).toBe(404);
    expect(hidden.body.error_type).toBe(missing.body.error_type);

    expect((await owner.put('/repository/acme/web', { description: 'new' })).status).toBe(200);
    expect((await owner.get('/repository/acme/web')).body.description).toBe('new');

    expect((await outsider.get('/repository?namespace=acme')).body.repositories).toEqual([]);
    expect(
      (await owner.post('/repository/acme/web/changevisibility', { visibility: 'public' })).status,
    ).toBe(200);
    const listed = await outsider.get('/repository?namespace=acme');
    expect(listed.body.repositories.map((r: { name: string }) => r.name)).toEqual(['web']);
    expect((await anonymous.get('/repository/acme/web')).body.can_write).toBe(false);

    expect(
      (await owner.put('/repository/acme/web/changestate', { state: 'READ_ONLY' })).status,
    ).toBe(200);
    expect((await owner.get('/repository/acme/web')).body).toMatchObject({
      state: 'READ_ONLY',
      can_write: false,
    });
    expect((await owner.put('/repository/acme/web/changestate', { state: 'FROZEN' })).status).toBe(
      400,
    );
    expect((await owner.put('/repository/acme/web/changestate', { state: 'NORMAL' })).status).toBe(
      200,
    );

    for (let i = 0; i < 102; i++) {
      await t.access.deps.store.createRepository({
        name: `acme/bulk-${String(i).padStart(3, '0')}`,
        namespaceId: (await t.access.deps.store.findAccount('acme'))!.id,
        visibility: 'public',
        description: '',
        creatorGrant: null,
        nowMs: t.clock.now(),
      });
    }
    const first = await anonymous.get('/repository?namespace=acme&public=true');
    expect(first.body.repositories).toHaveLength(100);
    const second = await anonymous.get(
      `/repository?namespace=acme&public=true&next_page=${first.body.next_page}`,
    );
    expect(second.body.repositories.map((r: { name: string }) => r.name)).toEqual([
      'bulk-100',
      'bulk-101',
      'web',
    ]);
    expect(second.body.next_page).toBeUndefined();

    expect((await outsider.delete('/repository/acme/web')).status).toBe(403);
    expect((await owner.delete('/repository/acme/web')).status).toBe(204);
    expect((await owner.get('/repository/acme/web')).status).toBe(404);
  });

  it('lets only the mirror robot write to a repository in state MIRROR', async () => {
    await owner.post('/repository', {
      namespace: 'acme',
      repository: 'mirrored',
      visibility: 'private',
    });
    await owner.put('/organization/acme/robots/mirror');
    const { body: robot } = await owner.post('/organization/acme/robots/mirror/regenerate');
    await owner.put('/repository/acme/mirrored/permissions/user/acme+mirror', { role: 'write' });
    expect(
      (
        await owner.put('/repository/acme/mirrored/changestate', {
          state: 'MIRROR',
          robot_username: 'oscar',
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await owner.put('/repository/acme/mirrored/changestate', {
          state: 'MIRROR',
          robot_username: 'acme+mirror',
        })
      ).status,
    ).toBe(200);
    const mirrorRobot = new V2Client(t.app, `acme+mirror:${robot.token}`);
    await mirrorRobot.pushImage('acme/mirrored', 'upstream');
    const byHand = await new V2Client(t.app, `olivia:${PASSWORD}`).putManifest(
      'acme/mirrored',
      'manual',
      {},
    );
    expect(byHand.status).toBe(403);
    expect(await byHand.json()).toMatchObject({
      errors: [
        {
          code: 'DENIED',
          message: 'the repository is a mirror; only its mirror robot may write to it',
        },
      ],
    });
    expect(
      (
        await new V2Client(t.app, `olivia:${PASSWORD}`).request(
          '/v2/acme/mirrored/manifests/upstream',
        )
      ).status,
    ).toBe(200);
  });

  it('grants and revokes repository permissions for users, robots and teams', async () => {
    await owner.post('/repository', {
      namespace: 'acme',
      repository: 'api',
      visibility: 'private',
    });
    expect((await outsider.get('/repository/acme/api')).status).toBe(404);
    const granted = await owner.put('/repository/acme/api/permissions/user/oscar', {
      role: 'read',
    });
    expect(granted.body).toMatchObject({ role: 'read', name: 'oscar', is_robot: false });
    expect((await outsider.get('/repository/acme/api')).body).toMatchObject({
      can_write: false,
      can_admin: false,
    });
    expect(
      (await outsider.put('/repository/acme/api/permissions/user/oscar', { role: 'admin' })).status,
    ).toBe(403);
    expect(
      (await owner.put('/repository/acme/api/permissions/user/oscar', { role: 'owner' })).status,
    ).toBe(400);
    expect(
      (await owner.put('/repository/acme/api/permissions/user/nobody', { role: 'read' })).status,
    ).toBe(404);

    await owner.put('/repository/acme/api/permissions/team/builders', { role: 'write' });
    const users = await owner.get('/repository/acme/api/permissions/user/');
    expect(Object.keys(users.body.permissions)).toEqual(['olivia', 'oscar']);
    const teams = await owner.get('/repository/acme/api/permissions/team/');
    expect(teams.body.permissions).toEqual({
      builders: expect.objectContaining({ role: 'write', name: 'builders' }),
    });
    expect((await owner.get('/repository/acme/api/permissions/user/oscar')).body.role).toBe('read');

    expect((await owner.delete('/repository/acme/api/permissions/user/oscar')).status).toBe(204);
    expect((await outsider.get('/repository/acme/api')).status).toBe(404);
    expect((await owner.delete('/repository/acme/api/permissions/user/oscar')).status).toBe(404);
  });

  it('applies default permissions (prototypes) to new repositories', async () => {
    const created = await owner.post('/organization/acme/prototypes', {
      role: 'read',
      delegate: { name: 'oscar', kind: 'user' },
    });
    expect(created.body).toMatchObject({ role: 'read', delegate: { name: 'oscar', kind: 'user' } });
    await owner.post('/repository', {
      namespace: 'acme',
      repository: 'docs',
      visibility: 'private',
    });
    expect((await outsider.get('/repository/acme/docs')).status).toBe(200);
    expect((await owner.delete(`/organization/acme/prototypes/${created.body.id}`)).status).toBe(
      204,
    );
    expect((await owner.get('/organization/acme/prototypes')).body.prototypes).toEqual([]);
  });

  it('issues app-specific tokens usable as Bearer on the API and as `$app` at /v2/auth, until revoked', async () => {
    const created = await owner.post('/user/apptoken', { title: 'laptop' });
    const code = created.body.token.token_code as string;
    expect(code).toHaveLength(40);
    const byToken = new ApiClient(t.app, { bearer: code });
    expect((await byToken.get('/user/')).body.username).toBe('olivia');
    const v2 = await t.app.request('/v2/auth?service=berth.test', {
      headers: { Authorization: basic(`$app:${code}`) },
    });
    expect(v2.status).toBe(200);
    const listed = await owner.get('/user/apptoken');
    expect(listed.body.tokens).toEqual([expect.objectContaining({ title: 'laptop' })]);
    expect(listed.body.tokens[0].token_code).toBeUndefined();
    expect((await owner.delete(`/user/apptoken/${created.body.token.uuid}`)).status).toBe(204);
    expect((await byToken.get('/user/')).status).toBe(401);
  });

  it('logs pushes, pulls and changes, queryable per repository, organization and user', async () => {
    const client = new V2Client(t.app, `olivia:${PASSWORD}`);
    await client.pushImage('acme/logged', 'v1');
    await client.request('/v2/acme/logged/manifests/v1');
    const repoLogs = await owner.get('/repository/acme/logged/logs');
    expect(repoLogs.body.logs.map((l: { kind: string }) => l.kind)).toEqual([
      'pull_repo',
      'push_repo',
      'create_repo',
    ]);
    expect(repoLogs.body.logs[1]).toMatchObject({
      performer: { name: 'olivia' },
      namespace: { name: 'acme' },
      metadata: { tag: 'v1', repo: 'acme/logged' },
    });
    const orgLogs = await owner.get('/organization/acme/logs');
    const kinds = orgLogs.body.logs.map((l: { kind: string }) => l.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'org_create',
        'org_create_team',
        'create_robot',
        'change_repo_permission',
        'change_repo_visibility',
      ]),
    );
    expect((await outsider.get('/organization/acme/logs')).status).toBe(403);
    expect((await outsider.get('/repository/acme/logged/logs')).status).toBe(404);
    const old = await owner.get('/organization/acme/logs?starttime=01/01/2020&endtime=01/02/2020');
    expect(old.body.logs).toEqual([]);
    expect((await owner.get('/organization/acme/logs?starttime=yesterday')).status).toBe(400);
  });

  it('lets a superuser create, list and delete users', async () => {
    const admin = new ApiClient(t.app, { basic: `admin:${PASSWORD}` });
    await createUser(t, 'admin');
    const created = await admin.post('/superuser/users/', { username: 'newbie', email: 'n@x.io' });
    expect(created.status).toBe(200);
    const newbie = new ApiClient(t.app, { basic: `newbie:${created.body.password}` });
    expect((await newbie.get('/user/')).body).toMatchObject({
      username: 'newbie',
      super_user: false,
    });
    expect((await owner.post('/superuser/users/', { username: 'x' })).status).toBe(403);
    const users = await admin.get('/superuser/users/');
    expect(users.body.users.map((u: { username: string }) => u.username)).toContain('newbie');
    expect((await admin.delete('/superuser/users/newbie')).status).toBe(204);
    expect((await newbie.get('/user/')).status).toBe(401);
  });

  it('changes the calling user’s password', async () => {
    const tina = new ApiClient(t.app, { basic: `tina:${PASSWORD}` });
    expect((await tina.put('/user/', { password: 'short' })).status).toBe(400);
    expect((await tina.put('/user/', { password: 'a much longer password' })).status).toBe(200);
    expect((await tina.get('/user/')).status).toBe(401);
    expect(
      (await new ApiClient(t.app, { basic: 'tina:a much longer password' }).get('/user/')).status,
    ).toBe(200);
  });
});

describe('POST /api/v1/user/initialize (FEATURE_USER_INITIALIZE)', () => {
  let t: TestRegistry;
  beforeAll(async () => {
    t = await startTestRegistry({
      access: { enabled: true, userInitialize: true, superusers: ['root'] },
    });
  });
  afterAll(() => t.close());

  it('creates the first user, a configured superuser, once, with an access token if asked', async () => {
    const anonymous = new ApiClient(t.app);
    expect(
      (await anonymous.post('/user/initialize', { username: 'mallory', password: 'p4ssword!' }))
        .status,
    ).toBe(400);
    const first = await anonymous.post('/user/initialize', {
      username: 'root',
      password: 'p4ssword!',
      email: 'root@x.io',
      access_token: true,
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ username: 'root', email: 'root@x.io' });
    const root = new ApiClient(t.app, { bearer: first.body.access_token });
    expect((await root.get('/user/')).body).toMatchObject({ username: 'root', super_user: true });
    const again = await anonymous.post('/user/initialize', {
      username: 'root',
      password: 'other-pass',
    });
    expect(again.status).toBe(400);
  });
});
