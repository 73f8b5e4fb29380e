import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUser, fetchToken, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';

describe('OAuth 2 access tokens for the API', () => {
  let t: TestRegistry;
  let owner: ApiClient;
  let client: { client_id: string; client_secret: string; redirect_uri: string };

  /** The grant as a script (or, later, the console's consent page) confirms it. */
  const authorize = (
    query: Record<string, string>,
    credentials: string | null = `olga:${PASSWORD}`,
  ) =>
    t.app.request('/oauth/authorize', {
      method: 'POST',
      body: JSON.stringify(query),
      headers: {
        'Content-Type': 'application/json',
        ...(credentials ? { Authorization: basic(credentials) } : {}),
      },
    });
  const implicitToken = async (scope: string) => {
    const response = await authorize({
      response_type: 'token',
      client_id: client.client_id,
      scope,
    });
    expect(response.status).toBe(302);
    return new URLSearchParams(new URL(response.headers.get('location')!).hash.slice(1)).get(
      'access_token',
    )!;
  };

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    const olga = await createUser(t, 'olga');
    await createUser(t, 'otto');
    owner = new ApiClient(t.app, { basic: `olga:${PASSWORD}` });
    await owner.post('/organization/', { name: 'corp' });
    await identity(t).repos.create(olga, {
      namespace: 'corp',
      repository: 'svc',
      visibility: 'private',
      description: '',
    });
    const created = await owner.post('/organization/corp/applications', {
      name: 'dashboard',
      redirect_uri: 'https://dash.example.com/callback',
    });
    expect(created.status).toBe(200);
    client = created.body;
  });
  afterAll(() => t.close());

  it('registers applications per organization, showing the secret once', async () => {
    expect(client.client_secret).toHaveLength(40);
    const listed = await owner.get('/organization/corp/applications');
    expect(listed.body.applications).toEqual([
      expect.objectContaining({ name: 'dashboard', client_id: client.client_id }),
    ]);
    expect(listed.body.applications[0].client_secret).toBeUndefined();
    const outsider = new ApiClient(t.app, { basic: `otto:${PASSWORD}` });
    expect(
      (
        await outsider.post('/organization/corp/applications', {
          name: 'x',
          redirect_uri: 'https://x',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await owner.post('/organization/corp/applications', {
          name: 'x',
          redirect_uri: 'not a url',
        })
      ).status,
    ).toBe(400);
  });

  it('grants a scoped token by the implicit flow, capping what it may do', async () => {
    const response = await authorize({
      response_type: 'token',
      client_id: client.client_id,
      scope: 'repo:read user:read',
      state: 'xyz',
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://dash.example.com/callback');
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get('token_type')).toBe('Bearer');
    expect(fragment.get('scope')).toBe('repo:read user:read');
    expect(fragment.get('state')).toBe('xyz');
    const api = new ApiClient(t.app, { bearer: fragment.get('access_token')! });

    expect((await api.get('/user/')).body.username).toBe('olga');
    expect((await api.get('/repository/corp/svc')).body).toMatchObject({
      can_write: false,
      can_admin: false,
    });
    expect((await api.put('/repository/corp/svc', { description: 'x' })).status).toBe(403);
    expect((await api.put('/user/', { password: 'a brand new password' })).status).toBe(403);
    expect(
      (
        await api.post('/repository', {
          namespace: 'corp',
          repository: 'new',
          visibility: 'private',
        })
      ).status,
    ).toBe(403);
    expect((await api.put('/organization/corp/team/t', { role: 'member' })).status).toBe(403);
  });

  it("works as a docker login with '$oauthtoken', within its scopes", async () => {
    const token = await implicitToken('repo:read');
    const granted = await fetchToken(t, `$oauthtoken:${token}`, 'repository:corp/svc:pull,push');
    expect(granted.access).toEqual([{ type: 'repository', name: 'corp/svc', actions: ['pull'] }]);
    // The catalog, decided live, keeps the OAuth token's limits too.
    const user = await implicitToken('user:read');
    const { token: catalogToken } = await fetchToken(
      t,
      `$oauthtoken:${user}`,
      'registry:catalog:*',
    );
    const catalog = await t.app.request('/v2/_catalog', {
      headers: { Authorization: `Bearer ${catalogToken}` },
    });
    expect(((await catalog.json()) as { repositories: string[] }).repositories).toEqual([]);
    const writer = await implicitToken('repo:write repo:create');
    const pushing = await fetchToken(
      t,
      `$oauthtoken:${writer}`,
      'repository:corp/svc:pull,push',
      'repository:corp/fresh:push',
    );
    expect(pushing.access.map((a) => a.actions)).toEqual([['pull', 'push'], ['push']]);
  });

  it('grants by the authorization-code flow, each code once, to the right client only', async () => {
    const response = await authorize({
      response_type: 'code',
      client_id: client.client_id,
      scope: 'repo:admin',
      state: 's1',
    });
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('s1');
    const code = location.searchParams.get('code')!;
    const exchange = (secret: string) =>
      t.app.request('/oauth/access_token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          client_id: client.client_id,
          client_secret: secret,
        }).toString(),
      });
    const wrongSecret = await exchange('not the secret');
    expect(wrongSecret.status).toBe(400);
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });
    const ok = await exchange(client.client_secret);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { access_token: string; scope: string; token_type: string };
    expect(body).toMatchObject({ scope: 'repo:admin', token_type: 'Bearer' });
    expect(
      (
        await new ApiClient(t.app, { bearer: body.access_token }).put('/repository/corp/svc', {
          description: 'by oauth',
        })
      ).status,
    ).toBe(200);
    const replay = await exchange(client.client_secret);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses bad requests without redirecting anywhere', async () => {
    const wrongRedirect = await authorize({
      response_type: 'token',
      client_id: client.client_id,
      scope: 'repo:read',
      redirect_uri: 'https://evil.example.com/',
    });
    expect(wrongRedirect.status).toBe(400);
    expect(wrongRedirect.headers.get('location')).toBeNull();
    expect(await wrongRedirect.json()).toMatchObject({ error: 'invalid_request' });
    expect(
      await (
        await authorize({
          response_type: 'token',
          client_id: client.client_id,
          scope: 'repo:everything',
        })
      ).json(),
    ).toMatchObject({ error: 'invalid_scope' });
    expect(
      await (
        await authorize({ response_type: 'token', client_id: 'nope', scope: 'repo:read' })
      ).json(),
    ).toMatchObject({ error: 'invalid_client' });
    const anonymous = await authorize(
      { response_type: 'token', client_id: client.client_id, scope: 'repo:read' },
      null,
    );
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBeNull();
    const token = await implicitToken('user:admin');
    const byToken = await authorize(
      { response_type: 'token', client_id: client.client_id, scope: 'repo:admin' },
      `$oauthtoken:${token}`,
    );
    expect(byToken.status).toBe(403);
  });

  it('stops tokens when they expire and when the application is deleted', async () => {
    const token = await implicitToken('user:read');
    const api = new ApiClient(t.app, { bearer: token });
    expect((await api.get('/user/')).status).toBe(200);
    t.clock.advance(91 * 24 * 3600 * 1000);
    expect((await api.get('/user/')).status).toBe(401);
    t.clock.advance(-91 * 24 * 3600 * 1000);
    expect((await api.get('/user/')).status).toBe(200);
    expect((await owner.delete(`/organization/corp/applications/${client.client_id}`)).status).toBe(
      204,
    );
    expect((await api.get('/user/')).status).toBe(401);
  });
});

describe('a grant another site makes the browser ask for', () => {
  let t: TestRegistry;
  let clientId: string;
  const grant = { response_type: 'token', scope: 'repo:admin' };
  const tokens = async () =>
    (await t.db.selectFrom('oauth_access_token').select('id').execute()).length;

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    await createUser(t, 'olga');
    const owner = new ApiClient(t.app, { basic: `olga:${PASSWORD}` });
    await owner.post('/organization/', { name: 'corp' });
    const created = await owner.post('/organization/corp/applications', {
      name: 'evil',
      redirect_uri: 'https://evil.example/callback',
    });
    clientId = created.body.client_id;
  });
  afterAll(() => t.close());

  it('is never made by a GET, even with the credentials a browser would replay', async () => {
    const query = new URLSearchParams({ ...grant, client_id: clientId });
    const response = await t.app.request(`/oauth/authorize?${query.toString()}`, {
      headers: { Authorization: basic(`olga:${PASSWORD}`) },
    });
    // The browser is shown the console's consent page, with the request as it came.
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/authorize?${query.toString()}`);
    expect(await tokens()).toBe(0);
  });

  it('is not made from a form post, which any site can send', async () => {
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', new URLSearchParams({ ...grant, client_id: clientId })],
      ['text/plain', JSON.stringify({ ...grant, client_id: clientId })],
      [
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--`,
      ],
    ] as const) {
      const response = await t.app.request('/oauth/authorize', {
        method: 'POST',
        body: body.toString(),
        headers: { 'Content-Type': type, Authorization: basic(`olga:${PASSWORD}`) },
      });
      expect(response.status, type).toBe(415);
      expect(response.headers.get('location')).toBeNull();
    }
    expect(await tokens()).toBe(0);
  });

  it('is refused when the browser says another site sent it', async () => {
    const response = await t.app.request('/oauth/authorize', {
      method: 'POST',
      body: JSON.stringify({ ...grant, client_id: clientId }),
      headers: {
        'Content-Type': 'application/json',
        'Sec-Fetch-Site': 'cross-site',
        Authorization: basic(`olga:${PASSWORD}`),
      },
    });
    expect(response.status).toBe(403);
    expect(await tokens()).toBe(0);
  });

  it('never challenges for Basic credentials a browser would keep', async () => {
    const response = await t.app.request('/oauth/authorize', {
      method: 'POST',
      body: JSON.stringify({ ...grant, client_id: clientId }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBeNull();
  });
});
