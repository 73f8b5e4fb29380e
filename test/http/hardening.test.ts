import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { expectSizesMatchRecount } from '../support/quota.js';
import { TEXT_BODY_LIMIT_BYTES } from '../../shared/http/text-input-guard.js';
import { AppTokenService } from '../../shared/access/app-tokens.js';
import { randomBytes } from 'node:crypto';
import { digestOf } from '../../shared/oci/digest.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import {
  stagedUploads,
  startTestRegistry,
  TEST_PEER_HEADER,
  type TestRegistry,
} from '../support/harness.js';
import { errorCode, V2Client } from '../support/v2-client.js';
import { heldBody } from '../support/held-body.js';

/**
 * The attacks of the adversarial review (issue 14), each reproduced against
 * the app as a client would send it.
 */

const ALICE = `alice:${PASSWORD}`;
const asAlice = { Authorization: basic(ALICE) };
const nul = (s: string) => Buffer.from(s).toString('base64url');

async function quayErrorType(response: Response): Promise<string | undefined> {
  return ((await response.json()) as { error_type?: string }).error_type;
}

describe('NUL bytes are refused as bad input, before any query', () => {
  let t: TestRegistry;
  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    await createUser(t, 'alice');
    await new V2Client(t.app, ALICE).pushImage('alice/app', 'v1');
  });
  afterAll(() => t.close());

  it.each([
    ['GET', '/v2/alice/sec%00ret/manifests/v1', 'NAME_INVALID'],
    ['POST', '/v2/alice/sec%00ret/blobs/uploads/', 'NAME_INVALID'],
    ['GET', '/v2/alice/app/manifests/v%001', 'MANIFEST_UNKNOWN'],
    ['GET', '/v2/alice/app/blobs/sha256:%00', 'DIGEST_INVALID'],
    ['GET', '/v2/_catalog?last=a%00b', 'NAME_INVALID'],
    ['GET', '/v2/alice/app/tags/list?last=a%00b', 'TAG_INVALID'],
    ['GET', '/v2/alice/app/tags/list?n=1%00', 'PAGINATION_NUMBER_INVALID'],
    ['GET', '/v2/alice/app/blobs/uploads/abc%00def', 'BLOB_UPLOAD_UNKNOWN'],
    ['PATCH', '/v2/alice/app/blobs/uploads/abc%00def', 'BLOB_UPLOAD_UNKNOWN'],
    ['DELETE', '/v2/alice/app/blobs/uploads/abc%00def', 'BLOB_UPLOAD_UNKNOWN'],
    ['POST', '/v2/alice/app/blobs/uploads/?mount=sha256:abc&from=alice/a%00b', 'NAME_INVALID'],
    ['POST', '/v2/alice/app/blobs/uploads/?mount=sha256:a%00bc&from=alice/app', 'DIGEST_INVALID'],
    ['POST', '/v2/alice/app/blobs/uploads/?digest=sha256:a%00bc', 'DIGEST_INVALID'],
    ['GET', '/v2/alice/app/referrers/sha256:%00', 'DIGEST_INVALID'],
    [
      'GET',
      `/v2/alice/app/referrers/sha256:${'a'.repeat(64)}?artifactType=a%00b`,
      'MANIFEST_INVALID',
    ],
  ])('%s %s answers %s', async (method, path, code) => {
    const response = await t.app.request(path, { method, headers: asAlice });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(await errorCode(response)).toBe(code);
  });

  it.each([
    ['GET', '/api/v1/repository/alice/a%00b'],
    ['GET', '/api/v1/repository?namespace=al%00ice'],
    ['GET', '/api/v1/repository/alice/app/tag/?specificTag=a%00b'],
    ['GET', `/api/v1/repository?namespace=alice&next_page=${nul('a\0b')}`],
    ['GET', `/api/v1/superuser/users/?next_page=${nul('a\0b')}`],
    ['GET', '/api/v1/organization/a%00b'],
  ])('%s %s answers 400 invalid_request', async (method, path) => {
    const response = await t.app.request(path, { method, headers: asAlice });
    expect(response.status).toBe(400);
    expect(await quayErrorType(response)).toBe('invalid_request');
  });

  it('refuses a JSON string field holding NUL, and creates nothing', async () => {
    const api = new ApiClient(t.app, { basic: ALICE });
    const created = await api.post('/repository', {
      namespace: 'alice',
      repository: 'described',
      visibility: 'private',
      description: 'a\u0000b',
    });
    expect(created.status).toBe(400);
    expect(created.body.error_type).toBe('invalid_request');
    expect((await api.get('/repository/alice/described')).status).toBe(404);
    // An escaped backslash before "u0000" is text, not NUL.
    const literal = await api.post('/repository', {
      namespace: 'alice',
      repository: 'literal',
      visibility: 'private',
      description: 'a\\u0000b',
    });
    expect(literal.status).toBe(201);
  });

  it('answers credentials holding NUL with 401 on every door', async () => {
    for (const credentials of ['al\0ice:x', `alice:${PASSWORD}\0`, '$app:a\0b', 'alice+ci:t\0k']) {
      const token = await t.app.request('/v2/auth?service=berth.test', {
        headers: { Authorization: basic(credentials) },
      });
      expect(token.status).toBe(401);
      const direct = await t.app.request('/v2/alice/app/tags/list', {
        headers: { Authorization: basic(credentials) },
      });
      expect(direct.status).toBe(401);
      const api = await t.app.request('/api/v1/user/', {
        headers: { Authorization: basic(credentials) },
      });
      expect(api.status).toBe(401);
    }
  });
});

describe('a refused /v2 push leaves no repository behind', () => {
  let t: TestRegistry;
  let superuser: ApiClient;
  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    await createUser(t, 'admin');
    await createUser(t, 'eve');
    await createUser(t, 'alice');
    superuser = new ApiClient(t.app, { basic: `admin:${PASSWORD}` });
  });
  afterAll(() => t.close());

  const EVE = { Authorization: basic(`eve:${PASSWORD}`) };
  const repositories = async () =>
    (await t.db.selectFrom('repository').select('name').execute()).map((r) => r.name).sort();

  it.each([
    'eve/Bad-Name-1',
    'eve/-a',
    'eve/a%20b',
    'eve/%22quoted%22',
    'eve/a//b',
    `eve/${'a'.repeat(300)}`,
    'eve/%2e%2e%2forgb/secret',
    'eve/..%2forgb/secret',
  ])('refuses the name %s with NAME_INVALID and creates nothing', async (name) => {
    const before = await repositories();
    const response = await t.app.request(`/v2/${name}/blobs/uploads/`, {
      method: 'POST',
      headers: EVE,
    });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('NAME_INVALID');
    expect(await repositories()).toEqual(before);
  });

  it("refuses a push into another user's namespace and creates nothing there", async () => {
    const response = await t.app.request('/v2/alice/planted/blobs/uploads/', {
      method: 'POST',
      headers: EVE,
    });
    expect([401, 403]).toContain(response.status);
    expect(await repositories()).not.toContain('alice/planted');
  });

  it('refuses a push into a namespace at its quota and creates no repository for it', async () => {
    const eve = new V2Client(t.app, `eve:${PASSWORD}`);
    const { orgs } = identity(t);
    await orgs.create(await t.access.authenticator.login('eve', PASSWORD), 'evecorp', null);
    await eve.pushImage('evecorp/first', 'v1');
    const { evecorp: size } = await expectSizesMatchRecount(t);
    const set = await superuser.post('/organization/evecorp/quota', { limit_bytes: size });
    expect(set.status).toBe(201);
    const [quota] = (await superuser.get('/organization/evecorp/quota')).body;
    const limit = await superuser.post(`/organization/evecorp/quota/${quota.id}/limit`, {
      type: 'Reject',
      threshold_percent: 100,
    });
    expect(limit.status).toBe(201);
    const refused = await t.app.request('/v2/evecorp/second/blobs/uploads/', {
      method: 'POST',
      headers: EVE,
    });
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('DENIED');
    expect(await repositories()).not.toContain('evecorp/second');
  });
});

describe('bodies of the JSON endpoints are limited', () => {
  let t: TestRegistry;
  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
  });
  afterAll(() => t.close());

  /** A JSON body of `total` bytes, made as it is read; counts what was read. */
  function endlessJson(total: number) {
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(Buffer.from('{"description":"'));
        if (sent >= total) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    return { body, read: () => sent };
  }

  it.each(['/api/v1/repository', '/oauth/access_token'])(
    'answers 413 to a 200 MiB body sent without a length at %s, and stops reading near the limit',
    async (path) => {
      const huge = endlessJson(200 * 1024 * 1024);
      const response = await t.app.request(path, {
        method: 'POST',
        body: huge.body,
        headers: { 'Content-Type': 'application/json' },
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(413);
      expect(huge.read()).toBeLessThanOrEqual(TEXT_BODY_LIMIT_BYTES + 2 * 1024 * 1024);
    },
  );

  it('answers 413 at once to a declared length over the limit, reading nothing', async () => {
    const huge = endlessJson(600 * 1024 * 1024);
    const response = await t.app.request('/api/v1/repository', {
      method: 'POST',
      body: huge.body,
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(600 * 1024 * 1024) },
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error_type: string }).error_type).toBe('invalid_request');
    expect(huge.read()).toBeLessThanOrEqual(1024 * 1024);
  });
});

describe('password guessing is held back per name and address, and cannot lock anyone out', () => {
  let t: TestRegistry;
  let robotToken: string;
  let appToken: string;
  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    const olga = await createUser(t, 'olga');
    await createUser(t, 'victim');
    const { orgs, robots } = identity(t);
    await orgs.create(olga, 'orga', null);
    robotToken = (await robots.create(olga, 'orga', 'ci', '')).token;
    appToken = (await new AppTokenService(t.access).create(olga, 'laptop')).code;
  });
  afterAll(() => t.close());

  const tokenRequest = (credentials: string, peer: string, forwardedFor?: string) =>
    t.app.request('/v2/auth?service=berth.test', {
      headers: {
        Authorization: basic(credentials),
        [TEST_PEER_HEADER]: peer,
        ...(forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {}),
      },
    });

  it('checks at most five guesses from one address, however many arrive at once', async () => {
    const guesses = Array.from({ length: 40 }, (_, i) =>
      i === 11 ? PASSWORD : `wrong password ${i}`,
    );
    const statuses = await Promise.all(
      guesses.map(
        async (password) => (await tokenRequest(`victim:${password}`, '203.0.113.66')).status,
      ),
    );
    // Wrong guesses checked: five at most. The right one may only have been
    // checked if it came before they ran out; here it came twelfth.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses[11]).toBe(429);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(34);
    // The window holds whatever happened inside it.
    expect((await tokenRequest(`victim:${PASSWORD}`, '203.0.113.66')).status).toBe(429);
  });

  it('lets a script with the right password log in many times at once', async () => {
    await createUser(t, 'script');
    const statuses = await Promise.all(
      Array.from(
        { length: 12 },
        async () => (await tokenRequest(`script:${PASSWORD}`, '192.0.2.44')).status,
      ),
    );
    expect(statuses).toEqual(Array(12).fill(200));
  });

  it('lets the user in from another address while one address is held back', async () => {
    for (const door of ['/v2/auth?service=berth.test', '/v2/_catalog', '/api/v1/user/']) {
      const response = await t.app.request(door, {
        headers: {
          Authorization: basic(`victim:${PASSWORD}`),
          [TEST_PEER_HEADER]: '198.51.100.30',
        },
      });
      expect(response.status, door).toBe(200);
    }
  });

  it('does not believe X-Forwarded-For from a peer nobody named as a proxy', async () => {
    await createUser(t, 'forwarded');
    for (let i = 0; i < 5; i++) {
      const response = await tokenRequest(`forwarded:guess${i}`, '192.0.2.80', `10.0.0.${i}`);
      expect(response.status).toBe(401);
    }
    const spoofed = await tokenRequest(`forwarded:${PASSWORD}`, '192.0.2.80', '10.9.9.9');
    expect(spoofed.status).toBe(429);
  });

  it('never locks out a robot token, an app token or an OAuth token', async () => {
    for (let i = 0; i < 12; i++) {
      expect((await tokenRequest(`orga+ci:bad-token-${i}`, '203.0.113.77')).status).toBe(401);
      expect((await tokenRequest(`$app:bad-token-${i}`, '203.0.113.77')).status).toBe(401);
      expect((await tokenRequest(`$oauthtoken:bad-${i}`, '203.0.113.77')).status).toBe(401);
    }
    expect((await tokenRequest(`orga+ci:${robotToken}`, '203.0.113.77')).status).toBe(200);
    expect((await tokenRequest(`$app:${appToken}`, '203.0.113.77')).status).toBe(200);
  });

  it('answers a name nobody has exactly as one that exists', async () => {
    const sequence = async (name: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        statuses.push((await tokenRequest(`${name}:guess${i}`, '203.0.113.88')).status);
      }
      return statuses;
    };
    await createUser(t, 'realname');
    const existing = await sequence('realname');
    const unknown = await sequence('nosuchname');
    expect(existing).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(unknown).toEqual(existing);
  });
});

describe('a push racing the deletion of its repository', () => {
  let t: TestRegistry;
  beforeAll(async () => {
    t = await startTestRegistry({
      access: { enabled: true },
      storage: 'fs',
      clockStartMs: Date.now(),
    });
    await createUser(t, 'admin');
  });
  afterAll(() => t.close());

  const ADMIN = `admin:${PASSWORD}`;

  it.each(['monolithic', 'chunked'])(
    'ends a %s push with a clean OCI error, and leaves no bytes garbage collection cannot see',
    async (style) => {
      const client = new V2Client(t.app, ADMIN);
      await client.pushImage('admin/race', 'v1');
      const blob = randomBytes(64 * 1024);
      const digest = digestOf(blob);
      const held = heldBody(blob.subarray(0, 1000), blob.subarray(1000));
      let pushing: Promise<Response>;
      if (style === 'monolithic') {
        pushing = client.request(`/v2/admin/race/blobs/uploads/?digest=${digest}`, {
          method: 'POST',
          body: held.body,
          headers: { 'Content-Type': 'application/octet-stream' },
          duplex: 'half',
        } as RequestInit);
      } else {
        const started = await client.request('/v2/admin/race/blobs/uploads/', { method: 'POST' });
        pushing = client.request(started.headers.get('location')!, {
          method: 'PATCH',
          body: held.body,
          headers: { 'Content-Type': 'application/octet-stream' },
          duplex: 'half',
        } as RequestInit);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      const api = new ApiClient(t.app, { basic: ADMIN });
      expect((await api.delete('/repository/admin/race')).status).toBe(204);
      held.release();
      const response = await pushing;
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(['NAME_UNKNOWN', 'BLOB_UPLOAD_UNKNOWN']).toContain(await errorCode(response));

      // Whatever reached storage is found and removed once it is past the grace period.
      t.clock.advance(2 * 60 * 60 * 1000);
      await SCHEDULED_TASKS['garbage-collection'](t.workers);
      await SCHEDULED_TASKS['remove-abandoned-uploads'](t.workers);
      const store = t.stores.get('local')!;
      expect(await store.stat({ digest, key: null })).toBeNull();
      expect(await stagedUploads(store)).toEqual([]);
    },
  );
});
