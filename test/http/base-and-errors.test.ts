import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCI_ERROR_CODES } from '../../shared/errors/oci-error-codes.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';

let t: TestRegistry;
let v2: V2Client;
beforeAll(async () => {
  t = await startTestRegistry();
  v2 = new V2Client(t.app);
});
afterAll(() => t.close());

describe('GET /v2/', () => {
  it.each(['/v2/', '/v2'])('answers %s with 200 and the API version header', async (path) => {
    const response = await v2.request(path);
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(await response.json()).toEqual({});
  });
});

describe('errors', () => {
  it('uses the spec JSON form, with a known code, on every error', async () => {
    const response = await v2.request('/v2/org/app/manifests/latest');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors).toHaveLength(1);
    expect(Object.keys(OCI_ERROR_CODES)).toContain(body.errors[0]!.code);
    expect(body.errors[0]!.message).not.toBe('');
  });

  it('answers an unknown endpoint with 404 in the same form', async () => {
    const response = await v2.request('/v2/org/app/unknown-endpoint');
    expect(response.status).toBe(404);
    expect(((await response.json()) as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it.each([
    ['GET', '/v2/UPPER/tags/list'],
    ['GET', '/v2/a..b/manifests/latest'],
    ['PUT', '/v2/trailing-/manifests/latest'],
    ['HEAD', '/v2/x//y/blobs/sha256:' + 'a'.repeat(64)],
    ['POST', '/v2/has space/blobs/uploads/'],
    ['PATCH', '/v2/Upper/blobs/uploads/00000000-0000-0000-0000-000000000000'],
    ['GET', '/v2/a__-b/blobs/uploads/00000000-0000-0000-0000-000000000000'],

    ['GET', '/v2/a%00b/referrers/sha256:' + 'a'.repeat(64)],
    ['GET', `/v2/${'a'.repeat(256)}/tags/list`],
  ])('refuses the invalid name in %s %s with NAME_INVALID', async (method, path) => {
    const response = await v2.request(path, {
      method,
      ...(method === 'PUT' ? { body: '{}' } : {}),
    });
    expect(response.status).toBe(400);
    if (method !== 'HEAD') {
      expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe(
        'NAME_INVALID',
      );
    }
  });

  it('resolves dot segments before routing, so they never reach a repository', async () => {
    const response = await v2.request('/v2/%2e%2e/%2e%2e/tags/list');
    expect(response.status).toBe(404);
  });

  it('hides internal failures behind UNKNOWN with a request id', async () => {
    const logged: string[] = [];
    const broken = await startTestRegistry();
    const { createHttpApp } = await import('../../shared/http/app.js');
    const failing = createHttpApp({
      registry: {
        ...broken.registry,
        listings: {
          tags: () => Promise.reject(new Error('database on fire')),
        } as unknown as typeof broken.registry.listings,
      },
      access: broken.access,
      surfaces: [v2Surface],
      logUnknownError: (_error, requestId) => logged.push(requestId),
    });
    try {
      const response = await failing.request('/v2/some/repo/tags/list', {
        headers: { 'X-Request-Id': 'req-42' },
      });
      expect(response.status).toBe(500);
      const body = await response.text();
      expect(body).not.toContain('fire');
      expect(JSON.parse(body)).toEqual({
        errors: [{ code: 'UNKNOWN', message: 'unknown error', detail: { requestId: 'req-42' } }],
      });
      expect(logged).toEqual(['req-42']);
    } finally {
      await broken.close();
    }
  });
});
