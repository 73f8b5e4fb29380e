import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';

describe('REST API v1: repository search (GET /find/repositories)', () => {
  let t: TestRegistry;
  let owner: ApiClient;
  let other: ApiClient;
  let anonymous: ApiClient;

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    const olivia = await createUser(t, 'olivia');
    await createUser(t, 'rita');
    const { repos } = identity(t);
    const make = (repository: string, visibility: 'public' | 'private', description = '') =>
      repos.create(olivia, { namespace: 'olivia', repository, visibility, description });
    await make('billing-api', 'private', 'charges cards');
    await make('web_site', 'public', 'the public web site');
    await make('website', 'public');
    for (let i = 0; i < 12; i++) await make(`svc-${String(i).padStart(2, '0')}`, 'public');
    owner = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
    other = new ApiClient(t.app, { basic: `rita:${PASSWORD}` });
    anonymous = new ApiClient(t.app);
  });
  afterAll(() => t.close());

  const names = (body: { results: { name: string }[] }) => body.results.map((r) => r.name);

  it('finds by name or description, only what the caller may see', async () => {
    expect(names((await owner.get('/find/repositories?query=CARDS')).body)).toEqual([
      'billing-api',
    ]);
    expect(names((await other.get('/find/repositories?query=billing')).body)).toEqual([]);
    const found = await anonymous.get('/find/repositories?query=web');
    expect(names(found.body)).toEqual(['web_site', 'website']);
    expect(found.body.results[0]).toMatchObject({
      kind: 'repository',
      namespace: { name: 'olivia', kind: 'user' },
      is_public: true,
      href: '/repository/olivia/web_site',
    });
  });

  it('matches the query literally: _ and % are no wildcards', async () => {
    expect(names((await owner.get('/find/repositories?query=web_')).body)).toEqual(['web_site']);
    expect(names((await owner.get('/find/repositories?query=%25')).body)).toEqual([]);
  });

  it('pages ten at a time, as Quay does', async () => {
    const first = (await owner.get('/find/repositories?query=svc-')).body;
    expect(first).toMatchObject({ page: 1, page_size: 10, start_index: 0, has_additional: true });
    expect(first.results).toHaveLength(10);
    const second = (await owner.get('/find/repositories?query=svc-&page=2')).body;
    expect(second).toMatchObject({ page: 2, start_index: 10, has_additional: false });
    expect(names(second)).toEqual(['svc-10', 'svc-11']);
  });
});

describe('REST API v1: starring repositories (/user/starred)', () => {
  it('stars what the caller can read, shows it in the repository view, and takes it off', async () => {
    const t = await startTestRegistry({ access: { enabled: true } });
    try {
      const olivia = await createUser(t, 'olivia');
      await createUser(t, 'rita');
      const { repos } = identity(t);
      await repos.create(olivia, {
        namespace: 'olivia',
        repository: 'app',
        visibility: 'public',
        description: '',
      });
      await repos.create(olivia, {
        namespace: 'olivia',
        repository: 'secret',
        visibility: 'private',
        description: '',
      });
      const rita = new ApiClient(t.app, { basic: `rita:${PASSWORD}` });
      expect((await rita.get('/repository/olivia/app')).body.is_starred).toBe(false);
      const starred = await rita.post('/user/starred', { namespace: 'olivia', repository: 'app' });
      expect(starred).toEqual({ status: 201, body: { namespace: 'olivia', repository: 'app' } });
      expect(
        (await rita.post('/user/starred', { namespace: 'olivia', repository: 'app' })).status,
      ).toBe(201);
      const hidden = await rita.post('/user/starred', {
        namespace: 'olivia',
        repository: 'secret',
      });
      expect(hidden.status).toBe(404);
      expect((await rita.get('/repository/olivia/app')).body.is_starred).toBe(true);
      expect((await rita.get('/user/starred')).body.repositories).toEqual([
        expect.objectContaining({ namespace: 'olivia', name: 'app' }),
      ]);
      // Made private, it leaves the list, though the star stays for when it comes back.
      await repos.setVisibility(olivia, 'olivia/app', 'private');
      expect((await rita.get('/user/starred')).body.repositories).toEqual([]);
      await repos.setVisibility(olivia, 'olivia/app', 'public');
      expect((await rita.delete('/user/starred/olivia/app')).status).toBe(204);
      expect((await rita.get('/user/starred')).body.repositories).toEqual([]);
      expect((await new ApiClient(t.app).get('/user/starred')).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});
