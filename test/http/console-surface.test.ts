import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSurface } from '../../functions/local/console-surface.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';

const INDEX =
  '<!doctype html><title>Berth</title><script type="module" src="/assets/app-1a2b.js"></script>';
const SCRIPT = 'console.log("the console");'.repeat(50);

/** The registry serves the built console at `/`, beside its protocols, without shadowing them. */
describe('the web console, served by the registry', () => {
  let t: TestRegistry;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'app-1a2b.js'), SCRIPT);
    writeFileSync(join(dir, 'assets', 'app-1a2b.js.gz'), gzipSync(SCRIPT));
    writeFileSync(join(dir, '.source-hash'), 'secret-ish');
    t = await startTestRegistry({
      access: { enabled: true },
      extraSurfaces: [consoleSurface(dir)],
    });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers / and every page of the console with index.html, never cached, under a strict CSP', async () => {
    for (const path of [
      '/',
      '/repository',
      '/repository/acme/web?tab=tags',
      '/authorize?client_id=x',
    ]) {
      const response = await t.app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text()).toBe(INDEX);
    }
  });

  it('serves hashed assets for a year, compressed for browsers that take it', async () => {
    const plain = await t.app.request('/assets/app-1a2b.js');
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(SCRIPT);
    const gz = await t.app.request('/assets/app-1a2b.js', {
      headers: { 'Accept-Encoding': 'gzip, br' },
    });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('vary')).toBe('Accept-Encoding');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(SCRIPT);
    const head = await t.app.request('/assets/app-1a2b.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('never serves files outside the build or hidden ones', async () => {
    for (const path of [
      '/.source-hash',
      '/assets/../.source-hash',
      '/%2e%2e/package.json',
      '/..%2fpackage.json',
    ]) {
      const response = await t.app.request(path);
      const body = await response.text();
      expect(body, path).not.toContain('secret-ish');
      expect(body, path).not.toContain('"name": "berth"');
    }
    expect((await t.app.request('/%E0%A4%A')).status).toBe(400);
  });

  it('leaves the protocols theirs: /v2, /api/v1 and /oauth answer in their own vocabulary', async () => {
    const v2 = await t.app.request('/v2/nope/nope/nope');
    expect(v2.status).toBe(404);
    expect(((await v2.json()) as { errors: { code: string }[] }).errors[0]!.code).toBeDefined();
    const api = await t.app.request('/api/v1/no-such-endpoint');
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error_type: string }).error_type).toBe('not_found');
    expect((await t.app.request('/v2/')).status).toBe(401);
    expect((await t.app.request('/csrf_token')).status).toBe(401);
    expect((await t.app.request('/oauth/authorize?client_id=x')).status).toBe(303);
    expect((await t.app.request('/', { method: 'POST' })).status).toBe(404);
  });
});
