import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpApp } from '../../shared/http/http-env.js';
import { HttpReceiver } from '../support/receivers.js';
import { ADMIN, CREDS } from '../support/skopeo-images.js';
import { serverApi, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { V2Client } from '../support/v2-client.js';

/**
 * A server killed (SIGKILL) while a delivery waits for its retry: the
 * delivery was recorded with the push, so the next server sends it. A
 * crash delays a notification; it never drops one.
 */
describe('a server killed while a notification waits to be sent', () => {
  let work: string;
  let hooks: HttpReceiver;
  let server: ServerProcess | undefined;

  const start = () =>
    startServerProcess({
      ...ADMIN,
      BERTH_DATA_DIR: join(work, 'data'),
      BERTH_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
      BERTH_NOTIFICATION_RETRY_SECONDS: '3',
    });
  const api = serverApi(() => server!, CREDS);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-notify-kill-'));
    hooks = await HttpReceiver.start();
  });
  afterAll(async () => {
    await server?.stop();
    await hooks.close();
    await rm(work, { recursive: true, force: true });
  });

  it('sends the delivery from the next server after a SIGKILL, once', async () => {
    // Prepare: the receiver is down when the push happens
    hooks.answer = () => ({ status: 503 });
    server = await start();
    await api('POST', '/repository', {
      namespace: 'admin',
      repository: 'app',
      visibility: 'private',
      description: '',
    });
    const { uuid } = (
      await api('POST', '/repository/admin/app/notification/', {
        event: 'repo_push',
        method: 'webhook',
        config: { url: `${hooks.url}/hook` },
        eventConfig: {},
      })
    ).body;
    const url = server.url;
    const remote = { request: (path: string, init?: RequestInit) => fetch(`${url}${path}`, init) };
    await new V2Client(remote as unknown as HttpApp, CREDS).pushImage('admin/app', 'v1');
    await hooks.waitFor(1);
    // The failed attempt is on record (else the delivery waits for its claim to lapse).
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const listed = await api('GET', `/repository/admin/app/notification/${uuid}/deliveries`);
      if (listed.body.deliveries[0]?.attempts === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Act: kill the server while the retry waits, then start another once the receiver is back
    process.kill(server.pid, 'SIGKILL');
    await server.stop();
    hooks.answer = () => ({ status: 200 });
    server = await start();
    await hooks.waitFor(2, 30_000);

    // Assess
    expect(hooks.requests).toHaveLength(2);
    expect(hooks.requests[1]!.headers['x-berth-delivery']).toBe(
      hooks.requests[0]!.headers['x-berth-delivery'],
    );
    expect(JSON.parse(hooks.requests[1]!.body)).toMatchObject({ updated_tags: ['v1'] });
    const { deliveries } = (
      await api('GET', `/repository/admin/app/notification/${uuid}/deliveries`)
    ).body;
    expect(deliveries).toEqual([expect.objectContaining({ state: 'delivered', attempts: 2 })]);
    // Nothing more arrives: the delivery is done.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(hooks.requests).toHaveLength(2);
  });
});
