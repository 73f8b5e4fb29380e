import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/access/principal.js';
import { digestOf } from '../../shared/oci/digest.js';
import { basic, createUser, fetchToken, identity, PASSWORD } from '../support/accounts.js';
import { LOGIN_WINDOW_MS } from '../../shared/access/authenticator.js';
import {
  startTestRegistry,
  TEST_PEER_HEADER,
  TEST_TOKEN_KEY,
  type TestRegistry,
} from '../support/harness.js';
import { errorCode, V2Client } from '../support/v2-client.js';
import { ApiClient } from '../support/api-client.js';

describe('registry auth: the Docker token flow', () => {
  let t: TestRegistry;
  let alice: Principal;
  const aliceCreds = `alice:${PASSWORD}`;

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    alice = await createUser(t, 'alice');
    await createUser(t, 'bob');
    const { repos } = identity(t);
    await repos.create(alice, {
      namespace: 'alice',
      repository: 'secret',
      visibility: 'private',
      description: '',
    });
    await repos.create(alice, {
      namespace: 'alice',
      repository: 'open',
      visibility: 'public',
      description: '',
    });
    await new V2Client(t.app, aliceCreds).pushImage('alice/secret', 'v1');
    await new V2Client(t.app, aliceCreds).pushImage('alice/open', 'v1');
  });
  afterAll(() => t.close());

  it('challenges anonymous callers on /v2/ with the realm and service', async () => {
    const response = await t.app.request('/v2/');
    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe('UNAUTHORIZED');
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="http://localhost/v2/auth",service="berth.test"',
    );
  });

  it('logs in as docker login does: Basic at the realm, then the token on /v2/', async () => {
    const { status, token } = await fetchToken(t, aliceCreds);
    expect(status).toBe(200);
    const response = await t.app.request('/v2/', { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
  });

  it('refuses a wrong password at the realm with 401', async () => {
    const response = await t.app.request('/v2/auth?service=berth.test', {
      headers: { Authorization: basic('bob:wrong password') },
    });
    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe('UNAUTHORIZED');
  });

  it('accepts Basic credentials on /v2 directly, for scripts', async () => {
    const response = await t.app.request('/v2/alice/secret/tags/list', {
      headers: { Authorization: basic(aliceCreds) },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ name: 'alice/secret', tags: ['v1'] });
  });

  it('answers a private repository exactly as one that does not exist', async () => {
    const bob = new V2Client(t.app, `bob:${PASSWORD}`);
    for (const suffix of ['tags/list', 'manifests/v1', `referrers/${digestOf(Buffer.from('x'))}`]) {
      const hidden = await bob.request(`/v2/alice/secret/${suffix}`);
      const missing = await bob.request(`/v2/alice/nothing/${suffix}`);
      expect(hidden.status).toBe(401);
      expect(missing.status).toBe(401);
      expect(await hidden.text()).toBe(await missing.text());
      expect(hidden.headers.get('www-authenticate')).toBe(
        missing.headers.get('www-authenticate')!.replace('alice/nothing', 'alice/secret'),
      );
    }
  });

  it('lets anyone pull a public repository with an anonymous token, and nobody push to it', async () => {
    const anonymous = new V2Client(t.app, null);
    expect((await anonymous.request('/v2/alice/open/manifests/v1')).status).toBe(200);
    const push = await anonymous.putManifest('alice/open', 'v2', {});
    expect(push.status).toBe(401);
    const bobPush = await new V2Client(t.app, `bob:${PASSWORD}`).putManifest(
      'alice/open',
      'v2',
      {},
    );
    expect(bobPush.status).toBe(403);
    expect(await errorCode(bobPush)).toBe('DENIED');
  });

  it('cuts the token down to what the caller may do (no scope escalation)', async () => {
    const bob = await fetchToken(
      t,
      `bob:${PASSWORD}`,
      'repository:alice/open:pull,push,delete,*',
      'repository:alice/secret:pull',
      'repository:bob/new:pull,push',
    );
    expect(bob.access).toEqual([
      { type: 'repository', name: 'alice/open', actions: ['pull'] },
      { type: 'repository', name: 'alice/secret', actions: [] },
      { type: 'repository', name: 'bob/new', actions: ['pull', 'push'] },
    ]);
    const anonymous = await fetchToken(t, null, 'repository:alice/secret:pull');
    expect(anonymous.access).toEqual([{ type: 'repository', name: 'alice/secret', actions: [] }]);
  });

  it('does not let a token for one repository open another', async () => {
    const { token } = await fetchToken(t, aliceCreds, 'repository:alice/open:pull');
    const response = await t.app.request('/v2/alice/secret/tags/list', {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('does not let a pull token push, even for the owner', async () => {
    const { token } = await fetchToken(t, aliceCreds, 'repository:alice/secret:pull');
    const response = await t.app.request('/v2/alice/secret/blobs/uploads/', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(401);
  });

  it('refuses tokens signed with another key, unsigned (alg none), for another service or expired', async () => {
    const access = [{ type: 'repository', name: 'alice/secret', actions: ['pull'] }];
    const now = Math.floor(t.clock.now() / 1000);
    const claims = { access, account_id: 1 };
    const sign = (key: Uint8Array, audience = 'berth.test', exp = now + 60) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('berth')
        .setAudience(audience)
        .setSubject('alice')
        .setExpirationTime(exp)
        .sign(key);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({
      ...claims,
      iss: 'berth',
      aud: 'berth.test',
      sub: 'alice',
      exp: now + 60,
    })}.`;
    const forged = [
      await sign(new Uint8Array(32).fill(9)),
      unsigned,
      await sign(TEST_TOKEN_KEY, 'other.registry'),
      await sign(TEST_TOKEN_KEY, 'berth.test', now - 1),
    ];
    const genuine = await sign(TEST_TOKEN_KEY);
    const ok = await t.app.request('/v2/alice/secret/tags/list', {
      headers: { Authorization: `Bearer ${genuine}` },
    });
    expect(ok.status).toBe(200);
    for (const token of forged) {
      const response = await t.app.request('/v2/alice/secret/tags/list', {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  it('expires tokens after their lifetime', async () => {
    const { token } = await fetchToken(t, aliceCreds, 'repository:alice/secret:pull');
    const request = () =>
      t.app.request('/v2/alice/secret/tags/list', {
        headers: { Authorization: `Bearer ${token}` },
      });
    expect((await request()).status).toBe(200);
    t.clock.advance(301_000);
    try {
      const expired = await request();
      expect(expired.status).toBe(401);
      // The challenge names the scope, so the client can fetch a useful token.
      expect(expired.headers.get('www-authenticate')).toBe(
        'Bearer realm="http://localhost/v2/auth",service="berth.test",scope="repository:alice/secret:pull",error="invalid_token"',
      );
    } finally {
      t.clock.advance(-301_000);
    }
  });

  it('lists in the catalog only what the caller can read', async () => {
    const catalog = async (client: V2Client) => {
      const response = await client.request('/v2/_catalog');
      return ((await response.json()) as { repositories: string[] }).repositories;
    };
    expect(await catalog(new V2Client(t.app, null))).toEqual(['alice/open']);
    expect(await catalog(new V2Client(t.app, `bob:${PASSWORD}`))).toEqual(['alice/open']);
    expect(await catalog(new V2Client(t.app, aliceCreds))).toEqual(['alice/open', 'alice/secret']);
  });

  it('mounts only from a repository the caller can read; otherwise starts a plain upload', async () => {
    const bob = new V2Client(t.app, `bob:${PASSWORD}`);
    const layer = await new V2Client(t.app, aliceCreds).pushBlob('alice/secret', 'secret layer');
    const mounted = await bob.request(
      `/v2/bob/copy/blobs/uploads/?mount=${layer.digest}&from=alice/secret`,
      { method: 'POST' },
    );
    expect(mounted.status).toBe(202);
    const head = await bob.request(`/v2/bob/copy/blobs/${layer.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(404);
    // As docker does, one token for both repositories.
    const publicLayer = await new V2Client(t.app, aliceCreds).pushBlob('alice/open', 'open layer');
    const { token } = await fetchToken(
      t,
      `bob:${PASSWORD}`,
      'repository:bob/copy:pull,push',
      'repository:alice/open:pull',
      'repository:alice/secret:pull',
    );
    const mount = (digest: string, from: string) =>
      t.app.request(`/v2/bob/copy/blobs/uploads/?mount=${digest}&from=${from}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
      });
    expect((await mount(publicLayer.digest, 'alice/open')).status).toBe(201);
    expect((await mount(layer.digest, 'alice/secret')).status).toBe(202);
  });

  it('does not let dot segments walk into another repository', async () => {
    const { token } = await fetchToken(t, `bob:${PASSWORD}`, 'repository:alice/open:pull');
    const response = await t.app.request('/v2/alice/open/../secret/tags/list', {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(401);
  });

  it('creates a repository on first push, private, only in a namespace the pusher may create in', async () => {
    const bob = new V2Client(t.app, `bob:${PASSWORD}`);
    await bob.pushImage('bob/fresh', 'v1');
    const repository = await t.access.deps.store.findRepository('bob/fresh');
    expect(repository?.visibility).toBe('private');
    const intoAlice = await bob.request('/v2/alice/fresh/blobs/uploads/', { method: 'POST' });
    expect(intoAlice.status).toBe(401);
    const noNamespace = await bob.request('/v2/fresh/blobs/uploads/', { method: 'POST' });
    expect(noNamespace.status).toBe(401);
    expect(await t.access.deps.store.findRepository('alice/fresh')).toBeNull();
  });

  it('holds back password guessing: after 5 failures from one address the right password waits there', async () => {
    await createUser(t, 'carol');
    const login = (password: string, peer: string) =>
      t.app.request('/v2/auth?service=berth.test', {
        headers: { Authorization: basic(`carol:${password}`), [TEST_PEER_HEADER]: peer },
      });
    for (let i = 0; i < 5; i++) expect((await login('guess' + i, '203.0.113.5')).status).toBe(401);
    const locked = await login(PASSWORD, '203.0.113.5');
    expect(locked.status).toBe(429);
    expect(await errorCode(locked)).toBe('TOOMANYREQUESTS');
    expect(locked.headers.get('retry-after')).toBe(String(LOGIN_WINDOW_MS / 1000));
    expect((await login(PASSWORD, '198.51.100.20')).status).toBe(200);
    t.clock.advance(LOGIN_WINDOW_MS);
    expect((await login(PASSWORD, '203.0.113.5')).status).toBe(200);
  });

  it('does not bring a deleted repository back for an upload that began in it', async () => {
    // Prepare: an upload session in a repository, then the repository deleted.
    const client = new V2Client(t.app, aliceCreds);
    const api = new ApiClient(t.app, { basic: aliceCreds });
    await client.pushImage('alice/short-lived', 'v1');
    const started = await client.request('/v2/alice/short-lived/blobs/uploads/', {
      method: 'POST',
    });
    expect(started.status).toBe(202);
    expect((await api.delete('/repository/alice/short-lived')).status).toBe(204);

    // Act: the client goes on with its upload.
    const patched = await client.request(started.headers.get('location')!, {
      method: 'PATCH',
      body: new Uint8Array(16),
      headers: { 'Content-Type': 'application/octet-stream' },
    });

    // Assess: the session is unknown, and no empty repository of that name stands in for the old one.
    expect(patched.status).toBe(404);
    expect(await errorCode(patched)).toBe('BLOB_UPLOAD_UNKNOWN');
    expect((await api.get('/repository/alice/short-lived')).status).toBe(404);
  });

  it('leaves creating repositories to the access layer: the registry makes no bare one for a push it reaches after a delete', async () => {
    // Prepare: what a push authorized a moment before its repository was deleted reaches next.
    const name = 'alice/deleted-meanwhile';

    // Act
    const start = t.registry.uploads.start(name, undefined, false);

    // Assess: NAME_UNKNOWN, and no repository row without a namespace (nor its upload session) left behind.
    await expect(start).rejects.toMatchObject({ code: 'NAME_UNKNOWN' });
    expect(await t.registry.deps.metadata.findRepository(name)).toBeNull();
  });

  it('refuses every write to a READ_ONLY repository, reads still work', async () => {
    const { repos } = identity(t);
    await repos.create(alice, {
      namespace: 'alice',
      repository: 'frozen',
      visibility: 'private',
      description: '',
    });
    const client = new V2Client(t.app, aliceCreds);
    await client.pushImage('alice/frozen', 'v1');
    await repos.setState(alice, 'alice/frozen', 'READ_ONLY');
    const push = await client.request('/v2/alice/frozen/blobs/uploads/', { method: 'POST' });
    expect(push.status).toBe(403);
    expect(await push.json()).toMatchObject({
      errors: [{ code: 'DENIED', message: 'the repository is read-only' }],
    });
    const remove = await client.request('/v2/alice/frozen/manifests/v1', { method: 'DELETE' });
    expect(remove.status).toBe(403);
    expect((await client.request('/v2/alice/frozen/manifests/v1')).status).toBe(200);
  });
});

describe('superusers with FEATURE_SUPERUSERS_FULL_ACCESS', () => {
  it('read and write every repository, and see it in the catalog; without it they do not', async () => {
    for (const fullAccess of [true, false]) {
      const t = await startTestRegistry({
        access: { enabled: true, superusersFullAccess: fullAccess },
      });
      try {
        const alice = await createUser(t, 'alice');
        await createUser(t, 'admin');
        await identity(t).repos.create(alice, {
          namespace: 'alice',
          repository: 'private',
          visibility: 'private',
          description: '',
        });
        await new V2Client(t.app, `alice:${PASSWORD}`).pushImage('alice/private', 'v1');
        const admin = new V2Client(t.app, `admin:${PASSWORD}`);
        const pull = await admin.request('/v2/alice/private/manifests/v1');
        expect(pull.status).toBe(fullAccess ? 200 : 401);
        const catalog = (await (await admin.request('/v2/_catalog')).json()) as {
          repositories: string[];
        };
        expect(catalog.repositories).toEqual(fullAccess ? ['alice/private'] : []);
        const push = await admin.request('/v2/alice/private/blobs/uploads/', { method: 'POST' });
        expect(push.status).toBe(fullAccess ? 202 : 401);
      } finally {
        await t.close();
      }
    }
  });
});
