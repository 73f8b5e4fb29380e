import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { skipUnlessAvailable, startTestRegistry, type TestRegistry } from '../support/harness.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { errorCode, V2Client } from '../support/v2-client.js';

/**
 * The PostgreSQL server going away under a running registry: the registry
 * reaches CI's server through a relay the test cuts, as a stopped server or
 * a lost network would look from the registry's side.
 */
const databaseUrl = process.env.DATABASE_URL;
const skip = skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)');

describe.skipIf(skip)('a database outage', () => {
  let t: TestRegistry;
  let proxy: TcpProxy;
  const ANN = `ann:${PASSWORD}`;
  const pushEntries = async () =>
    (await t.db.selectFrom('audit_log').select('id').where('kind', '=', 'push_repo').execute())
      .length;

  beforeAll(async () => {
    const server = new URL(databaseUrl!);
    proxy = await new TcpProxy(server.hostname, Number(server.port || 5432)).start();
    const relayed = new URL(databaseUrl!);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(proxy.port);
    t = await startTestRegistry({
      access: { enabled: true, auditBatchDelayMs: 60_000 },
      postgresUrl: relayed.toString(),
    });
    await createUser(t, 'ann');
  });
  afterAll(async () => {
    await proxy.restore().catch(() => {});
    await t?.close();
    await proxy?.close();
  });

  it('answers 503 with Retry-After while the database is out of reach, and serves again after', async () => {
    const v2 = new V2Client(t.app, ANN);
    const api = new ApiClient(t.app, { basic: ANN });
    await v2.pushImage('ann/app', 'v1');
    await proxy.cut();

    const tags = await v2.request('/v2/ann/app/tags/list');
    expect(tags.status).toBe(503);
    expect(tags.headers.get('retry-after')).toBe('5');
    expect(await errorCode(tags)).toBe('UNAVAILABLE');
    const push = await v2.request('/v2/ann/app/blobs/uploads/', { method: 'POST' });
    expect(push.status).toBe(503);
    expect(await errorCode(push)).toBe('UNAVAILABLE');

    const repository = await api.get('/repository/ann/app');
    expect(repository.status).toBe(503);
    expect(repository.body).toMatchObject({ status: 503, error_type: 'service_unavailable' });
    const token = await t.app.request('/v2/auth?service=berth.test&scope=repository:ann/app:pull', {
      headers: { Authorization: `Basic ${Buffer.from(ANN).toString('base64')}` },
    });
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).toBe('5');

    await proxy.restore();
    const again = await v2.request('/v2/ann/app/tags/list');
    expect(again.status).toBe(200);
    expect((await api.get('/repository/ann/app')).status).toBe(200);
  });

  it('keeps audit entries the database could not take, and writes each once it is back', async () => {
    const v2 = new V2Client(t.app, ANN);
    await t.access.audit.flush();
    const before = await pushEntries();
    await v2.pushImage('ann/kept', 'v1');
    await v2.pushImage('ann/kept', 'v2');
    const waiting = t.access.audit.unwritten;
    expect(waiting).toBeGreaterThanOrEqual(2);

    await proxy.cut();
    await expect(t.access.audit.flush()).rejects.toThrow();
    expect(t.access.audit.unwritten).toBe(waiting);
    await expect(t.access.audit.flush()).rejects.toThrow();
    expect(t.access.audit.unwritten).toBe(waiting);

    await proxy.restore();
    await t.access.audit.flush();
    expect(t.access.audit.unwritten).toBe(0);
    expect(await pushEntries()).toBe(before + 2);
  });
});
