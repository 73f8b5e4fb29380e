import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SCHEDULED_TASKS } from '../../shared/workers/scheduled-tasks.js';
import { createUser, identity, PASSWORD } from '../support/accounts.js';
import { ApiClient } from '../support/api-client.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { HttpReceiver } from '../support/receivers.js';
import { V2Client } from '../support/v2-client.js';

/**
 * Quay's repository notifications through the REST API, delivered by the
 * notification worker to a real HTTP server on loopback.
 */
describe('repository notifications: webhooks', () => {
  let t: TestRegistry;
  let receiver: HttpReceiver;
  let owner: ApiClient;
  let pusher: V2Client;
  const path = '/repository/acme/app/notification';

  beforeAll(async () => {
    t = await startTestRegistry({ access: { enabled: true } });
    const olivia = await createUser(t, 'olivia');
    await createUser(t, 'rita');
    await createUser(t, 'oscar');
    const { orgs, repos } = identity(t);
    await orgs.create(olivia, 'acme', null);
    await repos.create(olivia, {
      namespace: 'acme',
      repository: 'app',
      visibility: 'private',
      description: '',
    });
    await repos.setPermission(olivia, 'acme/app', 'account', 'rita', 'read');
    owner = new ApiClient(t.app, { basic: `olivia:${PASSWORD}` });
    pusher = new V2Client(t.app, `olivia:${PASSWORD}`);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    receiver = await HttpReceiver.start();
  });
  afterEach(async () => {
    for (const n of (await owner.get(path)).body.notifications ?? []) {
      await owner.delete(`${path}/${n.uuid}`);
    }
    await receiver.close();
  });

  const deliver = () => SCHEDULED_TASKS.notifications(t.workers);
  const webhook = (config: Record<string, unknown> = {}, title = 'deploy') =>
    owner.post(path, {
      event: 'repo_push',
      method: 'webhook',
      config: { url: `${receiver.url}/hook`, ...config },
      eventConfig: {},
      title,
    });

  it("posts Quay's repo_push payload to a webhook once per manifest pushed by tag, signed with the secret shown at creation", async () => {
    // Prepare
    const created = await webhook();
    expect(created.status).toBe(201);
    const { uuid, secret } = created.body;
    expect(created.body).toEqual({
      uuid,
      title: 'deploy',
      event: 'repo_push',
      method: 'webhook',
      config: { url: `${receiver.url}/hook` },
      event_config: {},
      number_of_failures: 0,
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    // The secret is shown once: neither the list nor the notification repeats it.
    expect((await owner.get(path)).body.notifications).toEqual([
      expect.not.objectContaining({ secret: expect.anything() }),
    ]);
    expect((await owner.get(`${path}/${uuid}`)).body).not.toHaveProperty('secret');

    // Act
    const wakeupsBefore = t.wakeups.calls.length;
    const { descriptor } = await pusher.pushImage('acme/app', 'v1');
    await deliver();

    // Assess
    expect(t.wakeups.calls.slice(wakeupsBefore)).toContainEqual({
      task: 'notifications',
      atMs: t.clock.now(),
    });
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/hook');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['x-berth-event']).toBe('repo_push');
    expect(request!.headers['x-berth-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const expected = `sha256=${createHmac('sha256', secret).update(request!.body).digest('hex')}`;
    expect(request!.headers['x-berth-signature-256']).toBe(expected);
    expect(JSON.parse(request!.body)).toEqual({
      repository: 'acme/app',
      namespace: 'acme',
      name: 'app',
      docker_url: 'registry.test/acme/app',
      homepage: 'https://registry.test/repository/acme/app',
      updated_tags: ['v1'],
      manifest_digest: descriptor.digest,
    });
    // A push by digest moves no tag and raises no repo_push.
    await pusher.putManifest('acme/app', descriptor.digest, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [descriptor],
    });
    await deliver();
    expect(receiver.requests).toHaveLength(1);
  });

  it('reshapes the body with a Quay template, and sends CloudEvents 1.0 when asked', async () => {
    await webhook({
      template: JSON.stringify({
        text: 'pushed ${updated_tags[0]} to ${repository}',
        tags: '${updated_tags}',
        missing: 'x ${nothing}',
      }),
    });
    await webhook({ format: 'cloudevents' }, 'events');
    await pusher.pushImage('acme/app', 'v2');
    await deliver();

    expect(receiver.requests).toHaveLength(2);
    const templated = receiver.requests.find(
      (r) => r.headers['content-type'] === 'application/json',
    );
    expect(JSON.parse(templated!.body)).toEqual({
      text: 'pushed v2 to acme/app',
      tags: ['v2'],
      missing: 'x (none)',
    });
    const cloud = receiver.requests.find((r) =>
      String(r.headers['content-type']).startsWith('application/cloudevents+json'),
    );
    const event = JSON.parse(cloud!.body);
    expect(event).toMatchObject({
      specversion: '1.0',
      id: cloud!.headers['x-berth-delivery'],
      source: 'https://registry.test/repository/acme/app',
      type: 'berth.repo_push',
      subject: 'acme/app',
      datacontenttype: 'application/json',
      data: { repository: 'acme/app', updated_tags: ['v2'] },
    });
    expect(new Date(event.time).getTime()).toBe(t.clock.now());
  });

  it('retries a failing receiver at 30 s, then 60 s, and delivers the event exactly once when it recovers', async () => {
    // Prepare
    const { uuid } = (await webhook()).body;
    let failures = 2;
    receiver.answer = () => (failures-- > 0 ? { status: 503 } : { status: 204 });
    await pusher.pushImage('acme/app', 'v3');

    // Act: the first attempt and two retries, each when it falls due
    await deliver();
    const afterFirst = (await owner.get(`${path}/${uuid}`)).body.number_of_failures;
    const retryWake = t.wakeups.calls.at(-1);
    t.clock.advance(29_000);
    await deliver();
    const early = receiver.requests.length;
    t.clock.advance(1_000);
    await deliver();
    t.clock.advance(60_000);
    await deliver();
    t.clock.advance(600_000);
    await deliver();

    // Assess
    expect(afterFirst).toBe(1);
    expect(retryWake).toEqual({ task: 'notifications', atMs: t.clock.now() - 690_000 + 30_000 });
    expect(early).toBe(1);
    expect(receiver.requests).toHaveLength(3);
    const ids = new Set(receiver.requests.map((r) => r.headers['x-berth-delivery']));
    expect(ids.size).toBe(1);
    expect((await owner.get(`${path}/${uuid}`)).body.number_of_failures).toBe(0);
    const { deliveries } = (await owner.get(`${path}/${uuid}/deliveries`)).body;
    expect(deliveries).toEqual([
      expect.objectContaining({ state: 'delivered', attempts: 3, last_error: null }),
    ]);
  });

  it('wakes for a retry an earlier run scheduled, even when the wakeup was lost with its process', async () => {
    // Prepare: an attempt failed, and its process's wakeup died with it
    const { uuid } = (await webhook()).body;
    receiver.answer = () => ({ status: 503 });
    await pusher.pushImage('acme/app', 'v3b');
    await deliver();
    const { deliveries } = (await owner.get(`${path}/${uuid}/deliveries`)).body;
    const dueMs = Date.parse(deliveries[0].next_attempt);
    t.wakeups.calls.length = 0;

    // Act: a new process's first run, before the retry is due
    t.clock.advance(5_000);
    await deliver();

    // Assess
    expect(receiver.requests).toHaveLength(1);
    expect(t.wakeups.calls).toContainEqual({ task: 'notifications', atMs: dueMs });
  });

  it('disables a notification after three failures in a row, keeps the dead letter with its reason, and the reset enables it again', async () => {
    // Prepare
    const { uuid } = (await webhook()).body;
    receiver.answer = () => ({ status: 500 });
    await pusher.pushImage('acme/app', 'v4');

    // Act
    for (const wait of [0, 30_000, 60_000]) {
      t.clock.advance(wait);
      await deliver();
    }
    const disabled = (await owner.get(`${path}/${uuid}`)).body;
    const dead = (await owner.get(`${path}/${uuid}/deliveries`)).body.deliveries;
    // While disabled, a push queues nothing for it.
    await pusher.pushImage('acme/app', 'v5');
    t.clock.advance(120_000);
    await deliver();
    const whileDisabled = receiver.requests.length;
    const reset = await owner.post(`${path}/${uuid}`);
    receiver.answer = () => ({ status: 200 });
    await pusher.pushImage('acme/app', 'v6');
    await deliver();

    // Assess
    expect(disabled.number_of_failures).toBe(3);
    expect(dead).toEqual([
      expect.objectContaining({
        state: 'failed',
        attempts: 3,
        last_error: expect.stringMatching(/answered 500.*disabled after 3 failed attempts/),
      }),
    ]);
    expect(whileDisabled).toBe(3);
    expect(reset.status).toBe(204);
    expect(receiver.requests).toHaveLength(4);
    expect(receiver.json(3)).toMatchObject({ updated_tags: ['v6'] });
    expect((await owner.get(`${path}/${uuid}`)).body.number_of_failures).toBe(0);
  });

  it("sends Quay's sample event on /test", async () => {
    const { uuid } = (await webhook()).body;
    expect(await owner.post(`${path}/${uuid}/test`)).toEqual({ status: 200, body: {} });
    await deliver();
    expect(receiver.json(0)).toMatchObject({
      repository: 'acme/app',
      updated_tags: ['latest', 'foo'],
      pruned_image_count: 3,
    });
  });

  it('lets only repository administrators manage notifications', async () => {
    const { uuid } = (await webhook()).body;
    const reader = new ApiClient(t.app, { basic: `rita:${PASSWORD}` });
    const outsider = new ApiClient(t.app, { basic: `oscar:${PASSWORD}` });
    const anonymous = new ApiClient(t.app);
    expect((await reader.get(path)).status).toBe(403);
    expect((await reader.post(`${path}/${uuid}/test`)).status).toBe(403);
    expect((await reader.delete(`${path}/${uuid}`)).status).toBe(403);
    // A private repository an outsider cannot see does not exist for them, nor for nobody.
    expect((await outsider.get(path)).status).toBe(404);
    expect((await anonymous.get(path)).status).toBe(404);
    expect(
      (await anonymous.post(path, { event: 'repo_push', method: 'webhook', config: {} })).status,
    ).toBe(404);
    expect((await owner.get(`${path}/not-a-notification`)).status).toBe(404);
  });

  it('refuses what it cannot send, in Quay’s words, and stores nothing', async () => {
    const bad = [
      [{ event: 'repo_push', method: 'carrier_pigeon', config: {} }, /Unknown notification method/],
      [
        { event: 'vulnerability_found', method: 'webhook', config: { url: receiver.url } },
        /no security scanner/,
      ],
      [
        { event: 'quota_warning', method: 'webhook', config: { url: receiver.url } },
        /Must be one of: repo_push/,
      ],
      [{ event: 'repo_push', method: 'webhook', config: {} }, /Missing webhook URL/],
      [
        { event: 'repo_push', method: 'webhook', config: { url: 'ftp://x/y' } },
        /must be http or https/,
      ],
      [
        {
          event: 'repo_push',
          method: 'webhook',
          config: { url: receiver.url, template: '{"a": ' },
        },
        /could not parse template/,
      ],
      [
        {
          event: 'repo_push',
          method: 'webhook',
          config: { url: receiver.url, template: '{"a": "${}"}' },
        },
        /empty expression/,
      ],
      [
        {
          event: 'repo_image_expiry',
          method: 'webhook',
          config: { url: receiver.url },
          eventConfig: {},
        },
        /eventConfig.days/,
      ],
      [{ event: 'repo_push', method: 'slack', config: {} }, /Missing Slack Callback URL/],
      [
        {
          event: 'repo_push',
          method: 'quay_notification',
          config: { target: { kind: 'user', name: 'nobody' } },
        },
        /Unknown user nobody/,
      ],
      [
        { event: 'repo_push', method: 'email', config: { email: 'x@example.com' } },
        /e-mail is not set up/,
      ],
    ] as const;
    for (const [body, message] of bad) {
      const response = await owner.post(path, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error_message).toMatch(message);
    }
    expect((await owner.get(path)).body.notifications).toEqual([]);
    expect((await owner.post(path, { event: 'repo_push' })).status).toBe(400);
  });

  it('deleting a notification drops its pending deliveries', async () => {
    const { uuid } = (await webhook()).body;
    await pusher.pushImage('acme/app', 'v7');
    expect((await owner.delete(`${path}/${uuid}`)).status).toBe(204);
    await deliver();
    expect(receiver.requests).toHaveLength(0);
    expect(await t.db.selectFrom('notification_delivery').selectAll().execute()).toEqual([]);
  });
});
