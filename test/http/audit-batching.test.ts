import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

describe('audit log batching on long-running servers', () => {
  let t: TestRegistry;
  let v2: V2Client;
  const pulls = async () =>
    (await t.db.selectFrom('audit_log').select('id').where('kind', '=', 'pull_repo').execute())
      .length;

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true, auditBatchDelayMs: 60_000 } });
    await createUser(t, 'ann');
    v2 = new V2Client(t.app, `ann:${PASSWORD}`);
    await v2.pushImage('ann/app', 'v1');
  });
  afterAll(() => t.close());

  it('holds pull entries back and writes them together', async () => {
    for (let i = 0; i < 3; i++) await v2.request('/v2/ann/app/manifests/v1');
    expect(await pulls()).toBe(0);
    await t.access.audit.flush();
    expect(await pulls()).toBe(3);
  });

  it('shows held-back entries to a log query in the same process', async () => {
    await v2.request('/v2/ann/app/manifests/v1');
    const logs = await new ApiClient(t.app, { basic: `ann:${PASSWORD}` }).get(
      '/repository/ann/app/logs',
    );
    expect(logs.body.logs[0]).toMatchObject({ kind: 'pull_repo', performer: { name: 'ann' } });
  });

  it('writes at once when a batch is full', async () => {
    const before = await pulls();
    for (let i = 0; i < 200; i++) await v2.request('/v2/ann/app/manifests/v1');
    expect(await pulls()).toBe(before + 200);
  });
});
