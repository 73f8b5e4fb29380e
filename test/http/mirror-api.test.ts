import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { mirrorSetup, quayDate } from '../support/mirroring.js';
import { errorCode, V2Client } from '../support/v2-client.js';

describe('mirror configuration API', () => {
  let t: TestRegistry;
  afterEach(() => t?.close());

  const config = (overrides: Record<string, unknown> = {}) => ({
    external_reference: '127.0.0.1:5999/upstream/app',
    external_registry_username: 'puller',
    external_registry_password: 'hunter2-upstream-secret',
    sync_interval: 3600,
    sync_start_date: quayDate(t.clock.now()),
    robot_username: 'mirrors+sync',
    root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['v1.*', 'latest'] },
    external_registry_config: { verify_tls: false, proxy: { https_proxy: null } },
    ...overrides,
  });

  it('creates a mirror in Quay shapes, puts the repository in state MIRROR and never shows the password', async () => {
    // Prepare
    t = await startTestRegistry({ access: { enabled: true } });
    const { api, path } = await mirrorSetup(t);

    // Act
    const created = await api.post(path, config());
    const shown = await api.get(path);
    const repository = await api.get('/repository/mirrors/app');

    // Assess
    expect(created.status).toBe(201);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({
      is_enabled: true,
      mirror_type: 'PULL',
      external_reference: '127.0.0.1:5999/upstream/app',
      external_registry_username: 'puller',
      external_registry_config: {
        verify_tls: false,
        proxy: { http_proxy: null, https_proxy: null, no_proxy: null },
      },
      sync_interval: 3600,
      sync_start_date: quayDate(t.clock.now()),
      sync_expiration_date: null,
      sync_retries_remaining: 3,
      sync_status: 'NEVER_RUN',
      root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['v1.*', 'latest'] },
      robot_username: 'mirrors+sync',
      last_sync_date: null,
      last_sync_error: null,
    });
    expect(JSON.stringify(shown.body)).not.toContain('hunter2');
    expect(repository.body.state).toBe('MIRROR');
  });

  it('keeps upstream credentials sealed in the database', async () => {
    // Prepare
    t = await startTestRegistry({ access: { enabled: true } });
    const { api, path } = await mirrorSetup(t);

    // Act
    await api.post(path, config());
    const row = await t.db
      .selectFrom('repo_mirror')
      .select(['username_sealed', 'password_sealed'])
      .executeTakeFirstOrThrow();

    // Assess
    expect(row.password_sealed).toMatch(/^v1\./);
    expect(row.password_sealed).not.toContain('hunter2');
    expect(Buffer.from(row.password_sealed!.split('.')[2]!, 'base64url').toString()).not.toContain(
      'hunter2',
    );
    expect(row.username_sealed).not.toContain('puller');
  });

  it('refuses bad input with Quay errors and changes nothing', async () => {
    // Prepare
    t = await startTestRegistry({ access: { enabled: true } });
    const { api, path } = await mirrorSetup(t);

    // Act
    const answers = await Promise.all([
      api.post(path, config({ root_rule: { rule_kind: 'tag_glob_csv', rule_value: [] } })),
      api.post(path, config({ root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['v[1'] } })),
      api.post(path, config({ robot_username: 'someoneelse+robot' })),
      api.post(path, config({ external_reference: 'https://quay.io/org/repo' })),
      api.post(path, config({ external_reference: 'quay.io/org/repo:latest' })),
      api.post(path, config({ sync_start_date: 'tomorrow' })),
      api.post(path, config({ sync_interval: -1 })),
      api.post(path, config({ external_registry_username: null })),
      api.post(path, { external_reference: 'quay.io/org/repo' }),
    ]);

    // Assess
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.error_message ?? answer.body.detail).toBeTruthy();
    }
    expect((await api.get(path)).status).toBe(404);
    expect((await api.get('/repository/mirrors/app')).body.state).toBe('NORMAL');
  });

  it('refuses a second mirror on the same repository with 409', async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    const { api, path } = await mirrorSetup(t);
    await api.post(path, config());

    const again = await api.post(path, config({ external_reference: 'quay.io/other/repo' }));

    expect(again.status).toBe(409);
    expect((await api.get(path)).body.external_reference).toBe('127.0.0.1:5999/upstream/app');
  });

  it('refuses upstream hosts on internal addresses unless allowed, at save time', async () => {
    // Prepare: no allow-list at all.
    t = await startTestRegistry({ access: { enabled: true }, mirror: { allowedHosts: [] } });
    const { api, path } = await mirrorSetup(t);

    // Act
    const loopback = await api.post(path, config());
    const linkLocal = await api.post(path, config({ external_reference: '169.254.169.254/x/y' }));
    const privateNet = await api.post(path, config({ external_reference: '10.1.2.3:5000/x/y' }));
    const mapped = await api.post(
      path,
      config({ external_reference: '[::ffff:127.0.0.1]:80/x/y' }),
    );
    const viaProxy = await api.post(
      path,
      config({
        external_reference: '203.0.113.7/x/y',
        external_registry_config: { proxy: { http_proxy: 'http://127.0.0.1:3128' } },
      }),
    );

    // Assess
    for (const refused of [loopback, linkLocal, privateNet, mapped, viaProxy]) {
      expect(refused.status).toBe(400);
      expect(refused.body.error_message).toMatch(/internal address.*BERTH_OUTBOUND_ALLOWED_HOSTS/);
    }
    expect((await api.get(path)).status).toBe(404);
  });

  it('changes settings with PUT and rules with PUT …/rules, and logs each change', async () => {
    // Prepare
    t = await startTestRegistry({ access: { enabled: true } });
    const { api, path } = await mirrorSetup(t);
    await api.post(path, config());

    // Act
    const put = await api.put(path, { is_enabled: false, sync_interval: 60 });
    const rules = await api.put(`${path}/rules`, {
      rule_kind: 'tag_glob_csv',
      rule_value: ['stable-*'],
    });
    const badRules = await api.put(`${path}/rules`, { rule_kind: 'regex', rule_value: ['.*'] });
    const shown = await api.get(path);
    const logs = await api.get('/repository/mirrors/app/logs');

    // Assess
    expect([put.status, rules.status, badRules.status]).toEqual([201, 201, 400]);
    expect(shown.body).toMatchObject({
      is_enabled: false,
      sync_interval: 60,
      root_rule: { rule_value: ['stable-*'] },
      external_registry_username: 'puller',
    });
    const changed = logs.body.logs
      .filter((l: { kind: string }) => l.kind === 'repo_mirror_config_changed')
      .map((l: { metadata: { changed: string } }) => l.metadata.changed);
    expect(changed).toEqual(
      expect.arrayContaining(['external_reference', 'is_enabled', 'sync_interval', 'root_rule']),
    );
  });

  it('lets only repository administrators see or change the mirror', async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    const { api, path, robot } = await mirrorSetup(t);
    await api.post(path, config());
    await api.put(`/repository/mirrors/app/permissions/user/${robot.robot.name}`, {
      role: 'write',
    });
    const asRobot = new ApiClient(t.app, { basic: `${robot.robot.name}:${robot.token}` });

    expect((await asRobot.get(path)).status).toBe(403);
    expect((await asRobot.post(`${path}/sync-now`)).status).toBe(403);
  });

  it('refuses a manual push to the mirror, from its administrators too', async () => {
    // Prepare
    t = await startTestRegistry({ access: { enabled: true } });
    const { api, path } = await mirrorSetup(t);
    await api.post(path, config());
    const owner = new V2Client(t.app, `owner:${PASSWORD}`);

    // Act
    const upload = await owner.request('/v2/mirrors/app/blobs/uploads/', { method: 'POST' });

    // Assess
    expect(upload.status).toBe(403);
    expect(await errorCode(upload)).toBe('DENIED');
  });

  it('sync-now makes the mirror due; sync-cancel stops a requested sync', async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    const { api, path } = await mirrorSetup(t);
    await api.post(path, config({ sync_start_date: quayDate(t.clock.now() + 86_400_000) }));

    const now = await api.post(`${path}/sync-now`);
    const afterNow = await api.get(path);
    const cancel = await api.post(`${path}/sync-cancel`);
    const afterCancel = await api.get(path);
    const missing = await api.post('/repository/mirrors/nothere/mirror/sync-now');

    expect(now.status).toBe(204);
    expect(afterNow.body).toMatchObject({
      sync_status: 'SYNC_NOW',
      sync_start_date: quayDate(t.clock.now()),
    });
    expect(cancel.status).toBe(204);
    expect(afterCancel.body).toMatchObject({
      sync_status: 'CANCEL',
      sync_start_date: quayDate(t.clock.now() + 3600_000),
    });
    expect(missing.status).toBe(404);
  });

  it('answers 404 everywhere when FEATURE_REPO_MIRROR is off', async () => {
    t = await startTestRegistry({ access: { enabled: true, mirrorEnabled: false } });
    const { api, path } = await mirrorSetup(t);

    const created = await api.post(path, config());

    expect(created.status).toBe(404);
    expect(created.body.error_message).toMatch(/FEATURE_REPO_MIRROR/);
    expect((await api.get('/repository/mirrors/app')).body.state).toBe('NORMAL');
  });
});
