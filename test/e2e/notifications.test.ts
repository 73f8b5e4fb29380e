import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  distributionAvailable,
  startDistribution,
  type DistributionRegistry,
} from '../support/distribution.js';
import { skipUnlessAvailable } from '../support/harness.js';
import { quayDate } from '../support/mirroring.js';
import { HttpReceiver, MailReceiver, type ReceivedRequest } from '../support/receivers.js';
import { skopeo, skopeoAvailable } from '../support/registry-clients.js';
import { ADMIN, CREDS, copy, imageLayout } from '../support/skopeo-images.js';
import { serverApi, startServerProcess, type ServerProcess } from '../support/server-process.js';

const skip =
  skipUnlessAvailable(skopeoAvailable(), 'skopeo') ||
  skipUnlessAvailable(distributionAvailable(), 'docker-registry');

/**
 * Notifications from `npm start`, caused by what real clients do: skopeo
 * pushes, a mirror sync from CNCF distribution, a push past a quota's
 * warning, a tag about to expire. The server's own timers and wakeups
 * deliver; a receiver on loopback checks each webhook's signature.
 */
describe.skipIf(skip)('notifications from `npm start`', () => {
  let work: string;
  let upstream: DistributionRegistry;
  let server: ServerProcess;
  let hooks: HttpReceiver;
  let smtp: MailReceiver;
  const secrets = new Map<string, string>();

  const api = serverApi(() => server!, CREDS);

  /** A webhook to the receiver at `/<name>`; its secret is kept to check signatures. */
  const subscribe = async (path: string, event: string, name: string, eventConfig = {}) => {
    const created = await api('POST', path, {
      event,
      method: 'webhook',
      config: { url: `${hooks.url}/${name}` },
      eventConfig,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    secrets.set(`/${name}`, created.body.secret);
    return created.body.uuid as string;
  };

  const signedBy = (r: ReceivedRequest) =>
    r.headers['x-berth-signature-256'] ===
    `sha256=${createHmac('sha256', secrets.get(r.path)!).update(r.body).digest('hex')}`;

  /** Waits until the receiver has a request at `path` that `match` accepts. */
  const received = async (
    path: string,
    match: (body: Record<string, unknown>) => boolean = () => true,
  ) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = hooks.requests.find((r) => r.path === path && match(JSON.parse(r.body)));
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`nothing at ${path}: ${JSON.stringify(hooks.requests.map((r) => r.path))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-notify-e2e-'));
    hooks = await HttpReceiver.start();
    smtp = await MailReceiver.start();
    upstream = await startDistribution(join(work, 'upstream'));
    server = await startServerProcess({
      ...ADMIN,
      MAIL_SERVER: '127.0.0.1',
      MAIL_PORT: String(smtp.port),
      MAIL_USE_TLS: 'false',
      MAIL_DEFAULT_SENDER: 'berth@registry.test',
      BERTH_DATA_DIR: join(work, 'data'),
      BERTH_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
      BERTH_NOTIFICATION_RETRY_SECONDS: '1',
      BERTH_NOTIFICATION_UPKEEP_INTERVAL_SECONDS: '1',
      REPO_MIRROR_INTERVAL: '3600',
    });
    expect((await api('POST', '/organization/', { name: 'acme' })).status).toBe(201);
    for (const repository of ['app', 'mirror']) {
      expect(
        (
          await api('POST', '/repository', {
            namespace: 'acme',
            repository,
            visibility: 'private',
            description: '',
          })
        ).status,
      ).toBe(201);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await upstream?.stop();
    await hooks?.close();
    await smtp?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('delivers repo_push for a skopeo push within moments, signed, with URLs naming the server', async () => {
    await subscribe('/repository/acme/app/notification/', 'repo_push', 'push');
    const { layout } = await imageLayout(join(work, 'push'), '1.0', [2048]);
    const pushedAt = Date.now();

    await copy(`oci:${layout.dir}:1.0`, `docker://${server.host}/acme/app:1.0`);
    const request = await received('/push');

    expect(signedBy(request)).toBe(true);
    expect(JSON.parse(request.body)).toMatchObject({
      repository: 'acme/app',
      namespace: 'acme',
      name: 'app',
      docker_url: `${server.host}/acme/app`,
      homepage: `${server.url}/repository/acme/app`,
      updated_tags: ['1.0'],
    });
    // Woken by the push itself, not by a timer minutes later.
    expect(request.receivedAtMs - pushedAt).toBeLessThan(15_000);
  });

  it('retries a receiver that fails, and it gets the event once it answers', async () => {
    const uuid = await subscribe('/repository/acme/app/notification/', 'repo_push', 'flaky');
    let failures = 2;
    hooks.answer = (r) =>
      r.path === '/flaky' && failures-- > 0 ? { status: 502 } : { status: 200 };
    const { layout } = await imageLayout(join(work, 'flaky'), '2.0', [1024]);

    await copy(`oci:${layout.dir}:2.0`, `docker://${server.host}/acme/app:2.0`);
    const deadline = Date.now() + 60_000;
    let deliveries: { state: string; attempts: number }[] = [];
    while (Date.now() < deadline) {
      deliveries = (await api('GET', `/repository/acme/app/notification/${uuid}/deliveries`)).body
        .deliveries;
      if (deliveries[0]?.state === 'delivered') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const attempts = hooks.requests.filter((r) => r.path === '/flaky');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((r) => r.headers['x-berth-delivery'])).size).toBe(1);
    expect(deliveries).toEqual([expect.objectContaining({ state: 'delivered', attempts: 3 })]);
    hooks.answer = () => ({ status: 200 });
  });

  it('delivers the mirror events of a sync from CNCF distribution', async () => {
    for (const event of ['repo_mirror_sync_started', 'repo_mirror_sync_success']) {
      await subscribe('/repository/acme/mirror/notification/', event, event);
    }
    expect((await api('PUT', '/organization/acme/robots/sync', {})).status).toBe(201);
    const { layout } = await imageLayout(join(work, 'upstream-image'), 'v1', [3000]);
    await skopeo(
      'copy',
      '--preserve-digests',
      `oci:${layout.dir}:v1`,
      `docker://${upstream.host}/library/app:v1`,
    );

    const created = await api('POST', '/repository/acme/mirror/mirror', {
      external_reference: `${upstream.host}/library/app`,
      external_registry_config: { verify_tls: false },
      sync_interval: 3600,
      sync_start_date: quayDate(Date.now() + 3_600_000),
      robot_username: 'acme+sync',
      root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['v*'] },
    });
    expect(created.status).toBe(201);
    expect((await api('POST', '/repository/acme/mirror/mirror/sync-now')).status).toBe(204);

    const started = await received('/repo_mirror_sync_started');
    const success = await received('/repo_mirror_sync_success');
    expect(signedBy(started) && signedBy(success)).toBe(true);
    expect(JSON.parse(started.body)).toMatchObject({
      repository: 'acme/mirror',
      message: `mirroring ${upstream.host}/library/app`,
    });
    expect(JSON.parse(success.body)).toMatchObject({
      repository: 'acme/mirror',
      message: `mirrored 1 tag(s) from ${upstream.host}/library/app`,
      copied: ['v1'],
    });
  });

  it('delivers quota_warning when a push crosses the organization’s warning threshold', async () => {
    await subscribe('/organization/acme/notifications', 'quota_warning', 'quota');
    const size = (await api('GET', '/organization/acme')).body.quota_report.quota_bytes as number;
    expect((await api('POST', '/organization/acme/quota', { limit_bytes: size * 4 })).status).toBe(
      201,
    );
    const [quota] = (await api('GET', '/organization/acme/quota')).body;
    await api('POST', `/organization/acme/quota/${quota.id}/limit`, {
      type: 'Warning',
      threshold_percent: 50,
    });
    const { layout } = await imageLayout(join(work, 'big'), '3.0', [size * 2]);

    await copy(`oci:${layout.dir}:3.0`, `docker://${server.host}/acme/app:3.0`);
    const warning = await received('/quota');

    expect(signedBy(warning)).toBe(true);
    expect(JSON.parse(warning.body)).toMatchObject({
      namespace: 'acme',
      homepage: `${server.url}/organization/acme`,
      repository: 'acme/app',
      limit_bytes: size * 4,
      threshold_bytes: size * 2,
    });
  });

  it('announces a tag that expires within the days a repo_image_expiry notification asks about', async () => {
    await subscribe('/repository/acme/app/notification/', 'repo_image_expiry', 'expiry', {
      days: 3,
    });
    const expiration = Math.floor(Date.now() / 1000) + 2 * 24 * 3600;
    expect((await api('PUT', '/repository/acme/app/tag/1.0', { expiration })).status).toBe(201);

    const announcement = await received('/expiry');

    expect(JSON.parse(announcement.body)).toMatchObject({
      repository: 'acme/app',
      tags: ['1.0'],
      expiring_in: '3 days',
    });
  });

  it('mails a push to an address confirmed through the link the server mailed', async () => {
    const email = 'team@example.com';
    expect((await api('POST', `/repository/acme/app/authorizedemail/${email}`)).status).toBe(200);
    await smtp.waitFor(1);
    const link = /http:\/\/\S+\/api\/v1\/authrepoemail\?code=[\w%-]+/.exec(
      smtp.mails[0]!.text ?? '',
    )![0];
    expect(new URL(link).host).toBe(server.host);
    expect((await fetch(link)).status).toBe(200);
    const created = await api('POST', '/repository/acme/app/notification/', {
      event: 'repo_push',
      method: 'email',
      config: { email },
      eventConfig: {},
    });
    expect(created.status).toBe(201);
    const { layout } = await imageLayout(join(work, 'mail'), '4.0', [512]);

    await copy(`oci:${layout.dir}:4.0`, `docker://${server.host}/acme/app:4.0`);
    await smtp.waitFor(2, 30_000);

    const mail = smtp.mails[1]!;
    expect(mail.envelopeTo).toEqual([email]);
    expect(mail.from?.text).toBe('berth@registry.test');
    expect(mail.subject).toBe('Repository acme/app updated');
    expect(mail.text).toContain('tags updated: 4.0');
  });
});
