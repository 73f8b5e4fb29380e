import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUser, PASSWORD } from '../support/accounts.js';
import { startForwardProxy } from '../support/forward-proxy.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import {
  expectFinished,
  mirrorConfig,
  mirrorSetup,
  runMirrorTick,
  serveOnLoopback,
  type LoopbackServer,
} from '../support/mirroring.js';
import { V2Client } from '../support/v2-client.js';

/** How the worker reaches its upstream: TLS verification and proxies, as configured per mirror. */
describe('mirror transport settings', () => {
  let tls: { key: string; cert: string };
  let upstream: TestRegistry;
  let downstream: TestRegistry;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    tls = {
      key: await readFile(join(dir, 'key.pem'), 'utf8'),
      cert: await readFile(join(dir, 'cert.pem'), 'utf8'),
    };
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await upstream?.close();
    await downstream?.close();
  });

  async function start(serverTls?: { key: string; cert: string }): Promise<{
    server: LoopbackServer;
    api: Awaited<ReturnType<typeof mirrorSetup>>['api'];
    path: string;
  }> {
    upstream = await startTestRegistry({ access: { enabled: true } });
    downstream = await startTestRegistry({ access: { enabled: true } });
    await createUser(upstream, 'alice');
    await new V2Client(upstream.app, `alice:${PASSWORD}`).pushImage('alice/app', 'v1');
    const server = await serveOnLoopback(upstream.app, undefined, serverTls);
    closers.push(() => server.close());
    const { api, path } = await mirrorSetup(downstream);
    return { server, api, path };
  }

  const config = (host: string, registryConfig: Record<string, unknown>) =>
    mirrorConfig(downstream, host, { registryConfig });

  it('with verify_tls, refuses a self-signed certificate; without, mirrors over TLS all the same', async () => {
    // Prepare
    const { server, api, path } = await start(tls);
    await api.post(path, config(server.host, { verify_tls: true }));

    // Act
    const verified = await runMirrorTick(downstream);
    await api.put(path, { external_registry_config: { verify_tls: false } });
    await api.post(`${path}/sync-now`);
    const unverified = await runMirrorTick(downstream);

    // Assess
    const failed = expectFinished(verified[0], 'FAIL');
    expect(failed.outcome.error).toMatch(/certificate/i);
    expectFinished(unverified[0], 'SUCCESS');
  });

  it('with verify_tls, will not fall back to plain HTTP', async () => {
    const { server, api, path } = await start();
    await api.post(path, config(server.host, { verify_tls: true }));

    const [result] = await runMirrorTick(downstream);

    expectFinished(result, 'FAIL');
  });

  it('goes through the configured proxy', async () => {
    // Prepare
    const { server, api, path } = await start();
    const proxy = await startForwardProxy();
    closers.push(() => proxy.close());
    await api.post(
      path,
      config(server.host, {
        verify_tls: false,
        proxy: { http_proxy: proxy.url, https_proxy: proxy.url },
      }),
    );

    // Act
    const [result] = await runMirrorTick(downstream);

    // Assess
    expectFinished(result, 'SUCCESS');
    expect(proxy.hosts).toContain(server.host);
  });
});
