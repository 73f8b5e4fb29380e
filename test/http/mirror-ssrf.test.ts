import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createUser, PASSWORD } from '../support/accounts.js';
import { startForwardProxy } from '../support/forward-proxy.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import {
  expectFinished,
  mirrorConfig,
  mirrorSetup,
  runMirrorTick,
  serveOnLoopback,
} from '../support/mirroring.js';
import { V2Client } from '../support/v2-client.js';

/**
 * An upstream that points the mirror worker at the registry's own network
 * (a redirect, a token realm) while a proxy is configured. The operator
 * allows the upstream and the proxy by name (`localhost`) only, so the
 * loopback addresses written as literals stand for internal services.
 */
describe('mirror requests stay out of the internal network on the proxy path too', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** A service the mirror must never reach; it counts who asked. */
  async function internalService(): Promise<{ url: string; hits: string[] }> {
    const hits: string[] = [];
    const server: Server = createServer((request, response) => {
      hits.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"token":"internal-secret","leak":"internal-secret"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
  }

  async function setUp(
    intercept: (request: Request) => Response | undefined,
    proxySettings: (proxyUrl: string) => Record<string, string>,
  ) {
    const upstream: TestRegistry = await startTestRegistry({ access: { enabled: true } });
    const downstream: TestRegistry = await startTestRegistry({
      access: { enabled: true },
      mirror: { allowedHosts: ['localhost'] },
    });
    closers.push(
      () => upstream.close(),
      () => downstream.close(),
    );
    await createUser(upstream, 'alice');
    await new V2Client(upstream.app, `alice:${PASSWORD}`).pushImage('alice/app', 'v1');
    const server = await serveOnLoopback(upstream.app, intercept);
    closers.push(() => server.close());
    const proxy = await startForwardProxy();
    closers.push(() => proxy.close());
    const { api, path } = await mirrorSetup(downstream);
    const host = server.host.replace('127.0.0.1', 'localhost');
    const saved = await api.post(
      path,
      mirrorConfig(downstream, host, {
        registryConfig: { verify_tls: false, proxy: proxySettings(proxy.url) },
      }),
    );
    if (saved.status !== 201) return { saved, result: undefined, proxy };
    const [result] = await runMirrorTick(downstream);
    return { saved, result, proxy };
  }

  const viaLocalhost = (url: string) => url.replace('127.0.0.1', 'localhost');

  it('does not follow a redirect to an internal address when no_proxy sends it direct', async () => {
    const internal = await internalService();
    const { result } = await setUp(
      (request) =>
        new URL(request.url).pathname.includes('/manifests/')
          ? new Response(null, { status: 302, headers: { location: `${internal.url}/leak` } })
          : undefined,
      (proxy) => ({
        http_proxy: viaLocalhost(proxy),
        https_proxy: viaLocalhost(proxy),
        no_proxy: '*',
      }),
    );
    const failed = expectFinished(result, 'FAIL');
    expect(internal.hits).toEqual([]);
    expect(failed.outcome.error).toMatch(/internal address/);
    expect(failed.outcome.error).not.toContain('internal-secret');
  });

  it('does not fetch a token realm on an internal address when no_proxy sends it direct', async () => {
    const internal = await internalService();
    const { result } = await setUp(
      (request) =>
        new URL(request.url).pathname.startsWith('/v2/') &&
        !request.headers.get('authorization')?.startsWith('Bearer internal')
          ? new Response('{"errors":[{"code":"UNAUTHORIZED"}]}', {
              status: 401,
              headers: {
                'www-authenticate': `Bearer realm="${internal.url}/token",service="x"`,
              },
            })
          : undefined,
      (proxy) => ({
        http_proxy: viaLocalhost(proxy),
        https_proxy: viaLocalhost(proxy),
        no_proxy: '*',
      }),
    );
    expectFinished(result, 'FAIL');
    expect(internal.hits).toEqual([]);
  });

  it('does not ask the proxy for an internal address either', async () => {
    const internal = await internalService();
    const { result, proxy } = await setUp(
      (request) =>
        new URL(request.url).pathname.includes('/manifests/')
          ? new Response(null, { status: 302, headers: { location: `${internal.url}/leak` } })
          : undefined,
      (proxy) => ({ http_proxy: viaLocalhost(proxy), https_proxy: viaLocalhost(proxy) }),
    );
    const failed = expectFinished(result, 'FAIL');
    expect(internal.hits).toEqual([]);
    expect(proxy.hosts.some((h) => h.startsWith('localhost:'))).toBe(true);
    expect(proxy.hosts.filter((h) => h.includes('127.0.0.1'))).toEqual([]);
    expect(failed.outcome.error).toMatch(/internal address/);
  });

  it('does not take a proxy on an internal address', async () => {
    const { saved, proxy } = await setUp(
      () => undefined,
      (proxy) => ({ http_proxy: proxy, https_proxy: proxy }),
    );
    expect(saved.status).toBe(400);
    expect(saved.body).toMatchObject({ error_type: 'invalid_request' });
    expect(saved.body.error_message).toMatch(/internal address/);
    expect(proxy.hosts).toEqual([]);
  });

  it('still mirrors through an allowed proxy to an allowed upstream', async () => {
    const { result, proxy } = await setUp(
      () => undefined,
      (proxy) => ({ http_proxy: viaLocalhost(proxy), https_proxy: viaLocalhost(proxy) }),
    );
    expectFinished(result, 'SUCCESS');
    expect(proxy.hosts.some((h) => h.startsWith('localhost:'))).toBe(true);
  });
});
