import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { skipUnlessAvailable, startTestRegistry, type TestRegistry } from '../support/harness.js';
import { imageManifest, V2Client } from '../support/v2-client.js';

/**
 * Every role against every protected action, on a private and a public
 * repository of one organization, through `/v2` and `/api/v1`. Each cell
 * names what the role may do; everything else must be refused, and a
 * refused read must not reveal that the repository exists.
 */

type Action =
  | 'pull'
  | 'push'
  | 'delete'
  | 'catalog'
  | 'create'
  | 'api:view'
  | 'api:describe'
  | 'api:visibility'
  | 'api:permissions'
  | 'api:logs'
  | 'api:team'
  | 'api:robot'
  | 'api:superuser';

const READ: Action[] = ['pull', 'catalog', 'api:view'];
const WRITE: Action[] = [...READ, 'push', 'delete', 'api:describe'];
const ADMIN: Action[] = [...WRITE, 'api:visibility', 'api:permissions', 'api:logs'];
const PUBLIC_READ: Action[] = ['pull', 'catalog', 'api:view'];

interface Role {
  name: string;
  private: Action[];
  public: Action[];
}

const ROLES: Role[] = [
  { name: 'anonymous', private: [], public: PUBLIC_READ },
  { name: 'outsider', private: [], public: PUBLIC_READ },
  { name: 'orgmember', private: [], public: PUBLIC_READ },
  { name: 'reader', private: READ, public: READ },
  { name: 'teamreader', private: READ, public: READ },
  { name: 'writer', private: WRITE, public: WRITE },
  { name: 'teamwriter', private: WRITE, public: WRITE },
  { name: 'robot', private: WRITE, public: WRITE },
  { name: 'repoadmin', private: ADMIN, public: ADMIN },
  { name: 'creator', private: ['create'], public: [...PUBLIC_READ, 'create'] },
  {
    name: 'orgadmin',
    private: [...ADMIN, 'create', 'api:team', 'api:robot'],
    public: [...ADMIN, 'create', 'api:team', 'api:robot'],
  },
  // Superusers manage accounts and organizations; repository content needs
  // FEATURE_SUPERUSERS_FULL_ACCESS.
  {
    name: 'superuser',
    private: ['api:superuser', 'api:team', 'api:robot'],
    public: [...PUBLIC_READ, 'api:superuser', 'api:team', 'api:robot'],
  },
];

const databaseUrl = process.env.DATABASE_URL;
const databases = [
  { label: 'embedded Postgres', url: undefined },
  ...(skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)')
    ? []
    : [{ label: 'PostgreSQL', url: databaseUrl }]),
];

describe.each(databases)('permission matrix on $label', ({ url }) => {
  let t: TestRegistry;
  const credentials = new Map<string, string | null>();
  let blobs: {
    config: { digest: string; size: number; mediaType: string };
    layer: { digest: string; size: number; mediaType: string };
  };

  beforeAll(async () => {
    t = await startTestRegistry({
      access: { enabled: true, superusers: ['superuser'] },
      ...(url ? { postgresUrl: url } : {}),
    });
    const users = [
      'owner',
      'outsider',
      'orgmember',
      'reader',
      'teamreader',
      'writer',
      'teamwriter',
      'repoadmin',
      'creator',
      'orgadmin',
      'superuser',
      'dummy',
    ];
    const principals = new Map();
    for (const name of users) principals.set(name, await createUser(t, name));
    for (const name of users) credentials.set(name, `${name}:${PASSWORD}`);
    credentials.set('anonymous', null);

    const { orgs, robots, repos } = identity(t);
    const owner = principals.get('owner');
    await orgs.create(owner, 'acme', null);
    await orgs.addTeamMember(owner, 'acme', 'owners', 'orgadmin');
    for (const [team, role, member] of [
      ['members', 'member', 'orgmember'],
      ['readers', 'member', 'teamreader'],
      ['writers', 'member', 'teamwriter'],
      ['creators', 'creator', 'creator'],
    ] as const) {
      await orgs.saveTeam(owner, 'acme', team, role, undefined);
      await orgs.addTeamMember(owner, 'acme', team, member);
    }
    const robot = await robots.create(owner, 'acme', 'deployer', '');
    credentials.set('robot', `acme+deployer:${robot.token}`);

    const ownerClient = new V2Client(t.app, `owner:${PASSWORD}`);
    for (const visibility of ['private', 'public'] as const) {
      const name = `acme/${visibility}-repo`;
      await repos.create(owner, {
        namespace: 'acme',
        repository: `${visibility}-repo`,
        visibility,
        description: 'd',
      });
      await repos.setPermission(owner, name, 'account', 'reader', 'read');
      await repos.setPermission(owner, name, 'account', 'writer', 'write');
      await repos.setPermission(owner, name, 'account', 'repoadmin', 'admin');
      await repos.setPermission(owner, name, 'account', 'acme+deployer', 'write');
      await repos.setPermission(owner, name, 'team', 'readers', 'read');
      await repos.setPermission(owner, name, 'team', 'writers', 'write');
      await ownerClient.pushImage(name, 'v1');
      for (const role of ROLES) await ownerClient.pushImage(name, `d-${role.name}`);
    }
    const config = await ownerClient.pushBlob(
      'acme/private-repo',
      '{"architecture":"amd64","os":"linux"}',
      'application/vnd.oci.image.config.v1+json',
    );
    const layer = await ownerClient.pushBlob(
      'acme/private-repo',
      'matrix layer',
      'application/vnd.oci.image.layer.v1.tar+gzip',
    );
    await ownerClient.pushBlob('acme/public-repo', '{"architecture":"amd64","os":"linux"}');
    await ownerClient.pushBlob('acme/public-repo', 'matrix layer');
    blobs = { config, layer };
  }, 120_000);
  afterAll(() => t?.close());

  /** Performs the action as the role; true if it was allowed. Refusals are checked for their form. */
  async function attempt(role: string, action: Action, repo: string): Promise<boolean> {
    const creds = credentials.get(role)!;
    const v2 = new V2Client(t.app, creds);
    const [user, secret] = creds
      ? [creds.slice(0, creds.indexOf(':')), creds.slice(creds.indexOf(':') + 1)]
      : [];
    const api = new ApiClient(t.app, user ? { basic: `${user}:${secret}` } : undefined);
    const path = repo.replace('acme/', '/repository/acme/');
    const refusedRead = (status: number) => {
      // A refused read looks exactly like a missing repository.
      expect([401, 404], `${role} ${action} ${repo}`).toContain(status);
      return false;
    };
    switch (action) {
      case 'pull': {
        const r = await v2.request(`/v2/${repo}/manifests/v1`);
        return r.status === 200 || refusedRead(r.status);
      }
      case 'push': {
        const r = await v2.putManifest(
          repo,
          `pushed-by-${role}`,
          imageManifest(blobs.config, [blobs.layer]),
        );
        if (r.status === 201) return true;
        expect([401, 403], `${role} push ${repo}`).toContain(r.status);
        return false;
      }
      case 'delete': {
        const r = await v2.request(`/v2/${repo}/manifests/d-${role}`, { method: 'DELETE' });
        if (r.status === 202) return true;
        expect([401, 403]).toContain(r.status);
        return false;
      }
      case 'catalog': {
        const r = await v2.request('/v2/_catalog');
        const body = (await r.json()) as { repositories?: string[] };
        return body.repositories?.includes(repo) ?? false;
      }
      case 'create': {
        const r = await v2.request(
          `/v2/acme/created-by-${role}-${repo.slice(5)}/blobs/uploads/?digest=${digestOf(Buffer.from('x'))}`,
          {
            method: 'POST',
            body: 'x',
          },
        );
        if (r.status === 201) return true;
        expect([401, 403]).toContain(r.status);
        return false;
      }
      case 'api:view': {
        const r = await api.get(path);
        return r.status === 200 || refusedRead(r.status);
      }
      case 'api:describe':
        return (await api.put(path, { description: 'd' })).status === 200;
      case 'api:visibility': {
        const visibility = repo.includes('public') ? 'public' : 'private';
        return (await api.post(`${path}/changevisibility`, { visibility })).status === 200;
      }
      case 'api:permissions':
        return (await api.put(`${path}/permissions/user/dummy`, { role: 'read' })).status === 200;
      case 'api:logs':
        return (await api.get(`${path}/logs`)).status === 200;
      case 'api:team':
        return (
          (await api.put(`/organization/acme/team/t${role}`, { role: 'member' })).status === 200
        );
      case 'api:robot':
        return (
          (await api.put(`/organization/acme/robots/r${role}_${repo.slice(5, 8)}`)).status === 201
        );
      case 'api:superuser':
        return (await api.get('/superuser/users')).status === 200;
    }
  }

  const ACTIONS: Action[] = [
    'pull',
    'push',
    'delete',
    'catalog',
    'create',
    'api:view',
    'api:describe',
    'api:visibility',
    'api:permissions',
    'api:logs',
    'api:team',
    'api:robot',
    'api:superuser',
  ];

  for (const visibility of ['private', 'public'] as const) {
    for (const role of ROLES) {
      it(`${role.name} on the ${visibility} repository`, async () => {
        const repo = `acme/${visibility}-repo`;
        const allowed: Action[] = [];
        for (const action of ACTIONS)
          if (await attempt(role.name, action, repo)) allowed.push(action);
        expect(allowed.sort()).toEqual([...role[visibility]].sort());
      });
    }
  }
});
