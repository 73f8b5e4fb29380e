import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, TEST_PEER_HEADER, type TestRegistry } from '../support/harness.js';

/** A browser's cookie jar of one: what the console's pages would send. */
class Browser {
  cookie: string | null = null;
  constructor(
    private readonly t: TestRegistry,
    private readonly peer = '192.0.2.10',
  ) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await this.t.app.request(path, {
      method,
      headers: {
        [TEST_PEER_HEADER]: this.peer,
        ...(this.cookie ? { Cookie: this.cookie } : {}),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const set = response.headers.get('set-cookie');
    if (set) {
      const [pair] = set.split(';');
      this.cookie = /=$/.test(pair!) || /Max-Age=0/i.test(set) ? null : pair!;
    }
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : null,
    };
  }

  signIn = (username: string, password = PASSWORD, headers: Record<string, string> = {}) =>
    this.request('POST', '/api/v1/signin', { username, password }, headers);

  async csrf(): Promise<string> {
    const answer = await this.request('GET', '/csrf_token');
    expect(answer.status).toBe(200);
    return answer.body.csrf_token;
  }
}

describe('web console sessions', () => {
  let t: TestRegistry;

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true, maxFailedLogins: 3 } });
    await createUser(t, 'sara');
    await createUser(t, 'tom');
  });
  afterAll(() => t.close());

  it('signs in with a password and sets an HttpOnly, SameSite cookie that authenticates /api/v1', async () => {
    const browser = new Browser(t);
    const signedIn = await browser.signIn('sara');
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toEqual({ success: true });
    const cookie = signedIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^berth-session=[A-Za-z0-9_-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/);
    const me = await browser.request('GET', '/api/v1/user/');
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('sara');
    // The session is in the database: no instance needs to have seen the sign-in.
    const rows = await t.db.selectFrom('console_session').select('token_hash').execute();
    expect(rows.map((r) => r.token_hash)).not.toContain(browser.cookie!.split('=')[1]);
  });

  it('over HTTPS the cookie is Secure and __Host- prefixed', async () => {
    const browser = new Browser(t);
    const https = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'registry.example' };
    const signedIn = await browser.signIn('sara', PASSWORD, https);
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('set-cookie')).toMatch(
      /^__Host-berth-session=.+; Path=\/;.*Secure/,
    );
    const me = await browser.request('GET', '/api/v1/user/', undefined, https);
    expect(me.body.username).toBe('sara');
  });

  it('refuses a wrong password in Quay’s shape, and robots and tokens cannot sign in', async () => {
    const browser = new Browser(t, '192.0.2.20');
    const wrong = await browser.signIn('sara', 'not it');
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ invalidCredentials: true, needsEmailVerification: false });
    expect(wrong.headers.get('set-cookie')).toBeNull();
    for (const name of ['sara+bot', '$app', '$oauthtoken']) {
      expect((await browser.signIn(name, 'whatever')).status).toBe(403);
    }
  });

  it('counts wrong passwords like every other login: the address is throttled', async () => {
    const browser = new Browser(t, '192.0.2.30');
    for (let i = 0; i < 3; i++) expect((await browser.signIn('tom', 'guess')).status).toBe(403);
    const throttled = await browser.signIn('tom');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(browser.cookie).toBeNull();
    expect((await new Browser(t, '192.0.2.31').signIn('tom')).status).toBe(200);
  });

  it('refuses a sign-in another site sends, so no one is signed into an attacker’s account', async () => {
    const browser = new Browser(t, '192.0.2.40');
    expect(
      (await browser.signIn('sara', PASSWORD, { 'Sec-Fetch-Site': 'cross-site' })).status,
    ).toBe(403);
    expect(
      (await browser.signIn('sara', PASSWORD, { Origin: 'https://evil.example' })).status,
    ).toBe(403);
    expect(browser.cookie).toBeNull();
  });

  it('refuses a cookie-authenticated write without the CSRF token, changing nothing', async () => {
    const browser = new Browser(t);
    await browser.signIn('sara');
    const refused = await browser.request('POST', '/api/v1/organization/', { name: 'forged' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error_type: 'invalid_csrf_token', status: 403 });
    const wrong = await browser.request(
      'POST',
      '/api/v1/organization/',
      { name: 'forged' },
      {
        'X-CSRF-Token': 'x'.repeat(43),
      },
    );
    expect(wrong.status).toBe(403);
    expect(
      (await new ApiClient(t.app, { basic: `sara:${PASSWORD}` }).get('/organization/forged'))
        .status,
    ).toBe(404);

    const made = await browser.request(
      'POST',
      '/api/v1/organization/',
      { name: 'made' },
      {
        'X-CSRF-Token': await browser.csrf(),
      },
    );
    expect(made.status).toBe(201);
  });

  it('signing out ends the session: the cookie no longer works anywhere', async () => {
    const browser = new Browser(t);
    await browser.signIn('tom');
    const other = new Browser(t);
    await other.signIn('tom');
    const stolen = browser.cookie!;
    const out = await browser.request('POST', '/api/v1/signout', undefined, {
      'X-CSRF-Token': await browser.csrf(),
    });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/berth-session=;/);
    const replay = await t.app.request('/api/v1/user/', { headers: { Cookie: stolen } });
    expect(replay.status).toBe(401);
    expect((await t.app.request('/csrf_token', { headers: { Cookie: stolen } })).status).toBe(401);
    // As in Quay, signing out ends the user's other sessions too.
    expect((await other.request('GET', '/api/v1/user/')).status).toBe(401);
  });

  it('a session lapses after PERMANENT_SESSION_LIFETIME', async () => {
    const browser = new Browser(t);
    await browser.signIn('tom');
    t.clock.advance(31 * 24 * 3600 * 1000 + 1000);
    expect((await browser.request('GET', '/api/v1/user/')).status).toBe(401);
  });

  it('a password change ends every other session, not the one that made it', async () => {
    const here = new Browser(t);
    const elsewhere = new Browser(t);
    await here.signIn('tom');
    await elsewhere.signIn('tom');
    const changed = await here.request(
      'PUT',
      '/api/v1/user/',
      { password: `${PASSWORD}!` },
      {
        'X-CSRF-Token': await here.csrf(),
      },
    );
    expect(changed.status).toBe(200);
    expect((await here.request('GET', '/api/v1/user/')).status).toBe(200);
    expect((await elsewhere.request('GET', '/api/v1/user/')).status).toBe(401);
  });

  it('the consent page grants an OAuth token only with the session’s CSRF token', async () => {
    const owner = new ApiClient(t.app, { basic: `sara:${PASSWORD}` });
    await owner.post('/organization/', { name: 'apps' });
    const app = await owner.post('/organization/apps/applications', {
      name: 'dash',
      redirect_uri: 'https://dash.example/cb',
    });
    const browser = new Browser(t);
    await browser.signIn('sara');
    const grant = { response_type: 'token', client_id: app.body.client_id, scope: 'repo:read' };
    const tokens = async () =>
      (await t.db.selectFrom('oauth_access_token').select('id').execute()).length;
    const before = await tokens();
    expect((await browser.request('POST', '/oauth/authorize', grant)).status).toBe(403);
    expect(await tokens()).toBe(before);
    const approved = await browser.request('POST', '/oauth/authorize', grant, {
      'X-CSRF-Token': await browser.csrf(),
    });
    expect(approved.status).toBe(200);
    expect(approved.body.location).toMatch(/^https:\/\/dash\.example\/cb#access_token=/);
    expect(await tokens()).toBe(before + 1);
  });
});
