import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

describe("REST API v1: a team's permissions and the superuser's log", () => {
  let t: TestRegistry;
  let superuser: ApiClient;
  let owner: ApiClient;
  let member: ApiClient;
  let olivia: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    await createUser(t, 'admin');
    olivia = await createUser(t, 'olivia');
    await createUser(t, 'mia');
    const { orgs, repos } = identity(t);
    await orgs.create(olivia, 'acme', null);
    await orgs.saveTeam(olivia, 'acme', 'devs', 'member', '');
    await orgs.addTeamMember(olivia, 'acme', 'devs', 'mia');
    for (const [repository, visibility] of [
      ['app', 'private'],
      ['docs', 'public'],
      ['other', 'private'],
    ] as const) {
      await repos.create(olivia, { namespace: 'acme', repository, visibility, description: '' });
    }
    await repos.setPermission(olivia, 'acme/app', 'team', 'devs', 'write');
    await repos.setPermission(olivia, 'acme/docs', 'team', 'devs', 'read');
    superuser = new ApiClient(t.app, { basic: `admin:${PASSWORD}` });
    owner = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
    member = new ApiClient(t.app, { basic: `mia:${PASSWORD}` });
    await new V2Client(t.app, `mia:${PASSWORD}`).pushImage('acme/app', 'v1');
  });
  afterAll(() => t.close());

  it("lists a team's repository permissions to organization admins", async () => {
    const { status, body } = await owner.get('/organization/acme/team/devs/permissions');
    expect(status).toBe(200);
    expect(body).toEqual({
      permissions: [
        { repository: { name: 'app', is_public: false }, role: 'write' },
        { repository: { name: 'docs', is_public: true }, role: 'read' },
      ],
    });
    expect((await member.get('/organization/acme/team/devs/permissions')).status).toBe(403);
    expect((await owner.get('/organization/acme/team/nobody/permissions')).status).toBe(404);
  });

  it("shows superusers the whole registry's log, by performer if asked", async () => {
    expect((await owner.get('/superuser/logs')).status).toBe(403);
    const all = (await superuser.get('/superuser/logs')).body;
    const kinds = all.logs.map((l: { kind: string }) => l.kind);
    expect(kinds).toEqual(expect.arrayContaining(['org_create', 'create_repo', 'push_repo']));
    const byMia = (await superuser.get('/superuser/logs?performer=mia')).body;
    expect(byMia.logs.length).toBeGreaterThan(0);
    expect(
      byMia.logs.every((l: { performer: { name: string } }) => l.performer.name === 'mia'),
    ).toBe(true);
    expect((await superuser.get('/superuser/logs?performer=ghost')).body.logs).toEqual([]);
  });
  it('finds users, the namespace robots and teams by prefix for permission pickers', async () => {
    await identity(t).robots.create(olivia, 'acme', 'mirror', '');
    expect((await new ApiClient(t.app).get('/entities/mi')).status).toBe(401);
    const plain = (await owner.get('/entities/mi')).body.results;
    expect(plain).toEqual([
      expect.objectContaining({ name: 'mia', kind: 'user', is_robot: false }),
    ]);
    const inOrg = (await owner.get('/entities/m?namespace=acme&includeTeams=true')).body.results;
    expect(inOrg).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'mia', kind: 'user', is_org_member: true }),
        expect.objectContaining({ name: 'acme+mirror', kind: 'user', is_robot: true }),
      ]),
    );
    const teams = (await owner.get('/entities/de?namespace=acme&includeTeams=true')).body.results;
    expect(teams).toEqual([expect.objectContaining({ name: 'devs', kind: 'team' })]);
    // Someone outside the organization sees no robots or teams of it.
    const outside = (
      await new ApiClient(t.app, { basic: `admin:${PASSWORD}` }).get(
        '/entities/acme?namespace=acme&includeTeams=true',
      )
    ).body.results;
    expect(outside.filter((r: { is_robot?: boolean }) => r.is_robot)).toEqual([]);
  });
});
