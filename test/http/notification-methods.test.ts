import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpMailer } from '../../shared/adapters/notify/smtp-mailer.js';
import { GuardedHttp } from '../../shared/adapters/notify/guarded-http.js';
import { AddressGuard } from '../../shared/adapters/upstream/address-guard.js';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { HttpReceiver, MailReceiver } from '../support/receivers.js';
import { V2Client } from '../support/v2-client.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Every notification method and event besides webhooks on pushes: Slack,
 * e-mail through a real SMTP server (with Quay's address confirmation),
 * in-app notifications, namespace quota events, expiring tags.
 */
describe('notification methods and events', () => {
  let t: TestRegistry;
  let slack: HttpReceiver;
  let smtp: MailReceiver;
  let olivia: ApiClient;
  let mia: ApiClient;
  let superuser: ApiClient;
  let pusher: V2Client;
  const repoPath = '/repository/acme/app/notification';
  const deliver = () => SCHEDULED_TASKS.notifications(t.workers);

  beforeAll(async () => {
    smtp = await MailReceiver.start({ username: 'berth', password: 'mail-secret' });
    slack = await HttpReceiver.start();
    t = await startTestRegistry({
      access: { enabled: true },
      notify: {
        mailer: new SmtpMailer(
          {
            server: '127.0.0.1',
            port: smtp.port,
            useTls: false,
            username: 'berth',
            password: 'mail-secret',
            sender: 'registry@berth.test',
          },
          5_000,
        ),
      },
    });
    await createUser(t, 'admin');
    const o = await createUser(t, 'olivia');
    await createUser(t, 'mia');
    await createUser(t, 'max');
    const { orgs, repos } = identity(t);
    await orgs.create(o, 'acme', 'acme@example.com');
    await orgs.saveTeam(o, 'acme', 'devs', 'member', '');
    await orgs.addTeamMember(o, 'acme', 'devs', 'mia');
    await orgs.addTeamMember(o, 'acme', 'devs', 'max');
    await repos.create(o, {
      namespace: 'acme',
      repository: 'app',
      visibility: 'private',
      description: '',
    });
    olivia = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
    mia = new ApiClient(t.app, { basic: `mia:${PASSWORD}` });
    superuser = new ApiClient(t.app, { basic: `admin:${PASSWORD}` });
    pusher = new V2Client(t.app, `olivia:${PASSWORD}`);
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
    await smtp.close();
  });

  it("posts a readable message to a Slack incoming webhook in Slack's payload shape", async () => {
    const created = await olivia.post(repoPath, {
      event: 'repo_push',
      method: 'slack',
      config: { url: `${slack.url}/services/T0/B0/XYZ` },
      eventConfig: {},
    });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('secret');
    await pusher.pushImage('acme/app', 'slack-1');
    await deliver();

    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]!.path).toBe('/services/T0/B0/XYZ');
    expect(slack.json(0)).toEqual({
      text: 'Repository acme/app updated',
      username: 'Berth',
      attachments: [
        {
          fallback: 'Repository acme/app updated',
          text: '<https://registry.test/repository/acme/app|acme/app> was pushed to; tags updated: `slack-1`.',
          color: 'good',
          mrkdwn_in: ['text'],
        },
      ],
    });
    await olivia.delete(`${repoPath}/${created.body.uuid}`);
  });

  it('mails through SMTP only to an address its owner confirmed, following the mailed link', async () => {
    // Prepare: the address is not confirmed yet
    const email = 'ops@example.com';
    const body = { event: 'repo_push', method: 'email', config: { email }, eventConfig: {} };
    const refused = await olivia.post(repoPath, body);
    const asked = await olivia.post(`/repository/acme/app/authorizedemail/${email}`);
    await smtp.waitFor(1);
    const confirmation = smtp.mails[0]!;
    const link = /https?:\/\/\S+\/api\/v1\/authrepoemail\?code=[\w%-]+/.exec(
      confirmation.text ?? '',
    )![0];
    const path = new URL(link).pathname + new URL(link).search;
    const before = (await olivia.get(`/repository/acme/app/authorizedemail/${email}`)).body;

    // Act
    const followed = await t.app.request(path);
    const page = await followed.text();
    const created = await olivia.post(repoPath, body);
    await pusher.pushImage('acme/app', 'mail-1');
    await deliver();
    await smtp.waitFor(2);

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body.error_message).toMatch(/not authorized to receive notifications/);
    expect(asked).toEqual({
      status: 200,
      body: { email, repository: 'app', namespace: 'acme', confirmed: false },
    });
    expect(confirmation.envelopeTo).toEqual([email]);
    expect(confirmation.subject).toBe('Confirm notifications for acme/app');
    expect(before.confirmed).toBe(false);
    expect(followed.status).toBe(200);
    expect(page).toContain('ops@example.com may now receive the notifications of <b>acme/app</b>');
    expect((await olivia.get(`/repository/acme/app/authorizedemail/${email}`)).body.confirmed).toBe(
      true,
    );
    expect(created.status).toBe(201);
    const mail = smtp.mails[1]!;
    expect(mail.envelopeTo).toEqual([email]);
    expect(mail.from?.text).toBe('registry@berth.test');
    expect(mail.subject).toBe('Repository acme/app updated');
    expect(mail.html).toContain('<a href="https://registry.test/repository/acme/app">acme/app</a>');
    expect(mail.text).toContain('tags updated: mail-1');
    expect((await t.app.request('/api/v1/authrepoemail?code=forged')).status).toBe(404);
    await olivia.delete(`${repoPath}/${created.body.uuid}`);
  });

  it('posts in-app notifications to a user, to each member of a team, and to an organization for its administrators, dismissible', async () => {
    // Prepare
    for (const target of [
      { kind: 'user', name: 'olivia' },
      { kind: 'team', name: 'devs' },
      { kind: 'org', name: 'acme' },
    ]) {
      const created = await olivia.post(repoPath, {
        event: 'repo_push',
        method: 'quay_notification',
        config: { target },
        eventConfig: {},
      });
      expect(created.status).toBe(201);
    }
    const refused = await olivia.post(repoPath, {
      event: 'repo_push',
      method: 'quay_notification',
      config: { target: { kind: 'org', name: 'other' } },
    });

    // Act
    await pusher.pushImage('acme/app', 'inbox-1');
    await deliver();
    const mine = (await olivia.get('/user/notifications?limit=10')).body;
    const hers = (await mia.get('/user/notifications')).body;
    const dismissed = await mia.put(`/user/notifications/${hers.notifications[0].id}`, {
      dismissed: true,
    });

    // Assess
    expect(refused.body.error_message).toMatch(/must match repository namespace/);
    // Olivia: her own entry, and the organization's (she administers acme).
    expect(mine.notifications).toHaveLength(2);
    expect(
      mine.notifications.map((n: { organization: string | null }) => n.organization).sort(),
    ).toEqual(['acme', null].sort());
    expect(mine.notifications[0]).toMatchObject({
      kind: 'repo_push',
      dismissed: false,
      metadata: { repository: 'acme/app', updated_tags: ['inbox-1'] },
    });
    expect(mine.additional).toBe(false);
    // Mia: her team's entry only; she does not administer acme.
    expect(hers.notifications).toHaveLength(1);
    expect(hers.notifications[0].organization).toBeNull();
    expect(dismissed.body.dismissed).toBe(true);
    expect((await mia.get('/user/notifications')).body.notifications).toEqual([]);
    expect((await mia.get(`/user/notifications/${hers.notifications[0].id}`)).body.dismissed).toBe(
      true,
    );
    // Nobody reads or dismisses another's entry.
    expect((await mia.get(`/user/notifications/${mine.notifications[0].id}`)).status).toBe(404);
    for (const n of (await olivia.get(repoPath)).body.notifications) {
      await olivia.delete(`${repoPath}/${n.uuid}`);
    }
  });

  it('raises quota_warning and quota_error for the organization’s namespace notifications, a refusal at most once an hour', async () => {
    // Prepare: a quota just above what is stored, warning at 50 %
    const hooks = await HttpReceiver.start();
    const orgPath = '/organization/acme/notifications';
    for (const event of ['quota_warning', 'quota_error']) {
      const created = await olivia.post(orgPath, {
        event,
        method: 'webhook',
        config: { url: hooks.url },
        eventConfig: {},
      });
      expect(created.status).toBe(201);
    }
    const refusedRepoEvent = await olivia.post(orgPath, {
      event: 'repo_push',
      method: 'webhook',
      config: { url: hooks.url },
    });
    expect((await mia.get(orgPath)).status).toBe(403);
    const size = (await olivia.get('/organization/acme')).body.quota_report.quota_bytes;
    const layer = 'q'.repeat(4000);
    const limit = size + 6000;
    expect((await superuser.post('/organization/acme/quota', { limit_bytes: limit })).status).toBe(
      201,
    );
    const [quota] = (await superuser.get('/organization/acme/quota')).body;
    const limits = `/organization/acme/quota/${quota.id}/limit`;
    await superuser.post(limits, { type: 'Warning', threshold_percent: 50 });
    await superuser.post(limits, { type: 'Reject', threshold_percent: 100 });

    // Act: one push crosses the warning, two more are refused
    await pusher.pushImage('acme/app', 'q1', { layer });
    for (const tag of ['q2', 'q3']) {
      await expect(
        pusher.pushImage('acme/app', tag, { layer: `${tag}`.repeat(3000) }),
      ).rejects.toThrow(/403/);
    }
    await deliver();

    // Assess
    expect(refusedRepoEvent.body.error_message).toMatch(
      /Must be one of: quota_warning, quota_error/,
    );
    expect(hooks.requests.map((r) => r.headers['x-berth-event']).sort()).toEqual([
      'quota_error',
      'quota_warning',
    ]);
    const warning = hooks.requests.find((r) => r.headers['x-berth-event'] === 'quota_warning')!;
    expect(JSON.parse(warning.body)).toEqual({
      namespace: 'acme',
      homepage: 'https://registry.test/organization/acme',
      repository: 'acme/app',
      size_bytes: expect.any(Number),
      threshold_bytes: Math.floor(limit / 2),
      limit_bytes: limit,
    });
    const error = hooks.requests.find((r) => r.headers['x-berth-event'] === 'quota_error')!;
    expect(JSON.parse(error.body)).toMatchObject({ namespace: 'acme', limit_bytes: limit });
    await superuser.delete(`/organization/acme/quota/${quota.id}`);
    for (const n of (await olivia.get(orgPath)).body.notifications) {
      await olivia.delete(`${orgPath}/${n.uuid}`);
    }
    await hooks.close();
  });

  it('announces tags expiring within the configured days once per tag and expiry, several in one event', async () => {
    // Prepare
    const hooks = await HttpReceiver.start();
    const created = await olivia.post(repoPath, {
      event: 'repo_image_expiry',
      method: 'webhook',
      config: { url: hooks.url },
      eventConfig: { days: 7 },
    });
    for (const tag of ['soon-a', 'soon-b', 'later', 'never'])
      await pusher.pushImage('acme/app', tag);
    const expire = (tag: string, inMs: number) =>
      olivia.put(`/repository/acme/app/tag/${tag}`, {
        expiration: Math.floor((t.clock.now() + inMs) / 1000),
      });
    await expire('soon-a', 2 * DAY_MS);
    await expire('soon-b', 6 * DAY_MS);
    await expire('later', 20 * DAY_MS);
    const upkeep = () => SCHEDULED_TASKS['notification-upkeep'](t.workers);

    // Act
    const announced = await upkeep();
    await deliver();
    const again = await upkeep();
    await expire('soon-a', 3 * DAY_MS);
    const moved = await upkeep();
    await deliver();
    t.clock.advance(14 * DAY_MS);
    const laterAnnounced = await upkeep();
    await deliver();

    // Assess
    expect(created.status).toBe(201);
    expect([announced, again, moved, laterAnnounced]).toEqual([2, 0, 1, 1]);
    expect(hooks.requests).toHaveLength(3);
    expect(hooks.json(0)).toMatchObject({
      repository: 'acme/app',
      notification_uuid: created.body.uuid,
      tags: ['soon-a', 'soon-b'],
      expiring_in: '7 days',
    });
    expect(hooks.json(1)).toMatchObject({ tags: ['soon-a'] });
    expect(hooks.json(2)).toMatchObject({ tags: ['later'] });
    await olivia.delete(`${repoPath}/${created.body.uuid}`);
    await hooks.close();
  });
});

describe('outbound safety of notifications', () => {
  it('sends nothing to a name that resolves to an internal address, also when it changes its answer between check and connection', async () => {
    const receiver = await HttpReceiver.start();
    const port = new URL(receiver.url).port;
    try {
      const internal = new GuardedHttp(new AddressGuard([], async () => ['127.0.0.1']), 2_000);
      let answers = 0;
      // DNS rebinding: a public address for the check, loopback for the socket.
      const rebinding = new GuardedHttp(
        new AddressGuard([], async () => (answers++ === 0 ? ['93.184.216.34'] : ['127.0.0.1'])),
        2_000,
      );
      await expect(internal.post(`http://hooks.example:${port}/`, '{}', {})).rejects.toThrow(
        /resolves to 127.0.0.1, an internal address/,
      );
      await expect(rebinding.post(`http://hooks.example:${port}/`, '{}', {})).rejects.toThrow(
        /refusing to connect to hooks.example/,
      );
      expect(receiver.requests).toEqual([]);
      await internal.close();
      await rebinding.close();
    } finally {
      await receiver.close();
    }
  });

  it('does not follow a redirect, which could lead anywhere', async () => {
    const receiver = await HttpReceiver.start();
    try {
      receiver.answer = (r) =>
        r.path === '/hook' ? { status: 307, headers: { location: '/elsewhere' } } : { status: 200 };
      const http = new GuardedHttp(new AddressGuard(['127.0.0.1']), 2_000);
      expect(await http.post(`${receiver.url}/hook`, '{}', {})).toEqual({ status: 307 });
      expect(receiver.requests.map((r) => r.path)).toEqual(['/hook']);
      await http.close();
    } finally {
      await receiver.close();
    }
  });

  it('refuses a webhook to an internal address when saved, and a name that resolves to one when sending', async () => {
    const t = await startTestRegistry({ access: { enabled: true }, mirror: { allowedHosts: [] } });
    try {
      const o = await createUser(t, 'olivia');
      await identity(t).repos.create(o, {
        namespace: 'olivia',
        repository: 'app',
        visibility: 'private',
        description: '',
      });
      const api = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
      for (const url of [
        'http://127.0.0.1:9/hook',
        'http://169.254.169.254/latest/meta-data/',
        'http://[::ffff:10.0.0.1]/',
        'http://user:pw@example.com/',
      ]) {
        const response = await api.post('/repository/olivia/app/notification', {
          event: 'repo_push',
          method: 'webhook',
          config: { url },
          eventConfig: {},
        });
        expect(response.status, url).toBe(400);
        expect(response.body.error_message).toMatch(
          /internal address.*BERTH_OUTBOUND_ALLOWED_HOSTS|may not carry credentials/,
        );
      }
      expect((await api.get('/repository/olivia/app/notification')).body.notifications).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
