import type { ManifestRecord } from '../../ports/metadata-store.js';
import type { Registry } from '../../registry/registry.js';
import type { HttpApp } from '../http-env.js';
import { requestBody } from '../request-body.js';
import { manifestPath } from './paths.js';

function manifestHeaders(manifest: ManifestRecord): Record<string, string> {
  return {
    'Content-Type': manifest.mediaType,
    'Content-Length': String(manifest.size),
    'Docker-Content-Digest': manifest.digest,
    ETag: `"${manifest.digest}"`,
  };
}

export function registerManifestRoutes(app: HttpApp, registry: Registry): void {
  app.on('HEAD', '/v2/:name{.+}/manifests/:reference', async (c) => {
    const manifest = await registry.manifests.get(c.req.param('name'), c.req.param('reference'));
    return c.body(null, 200, manifestHeaders(manifest));
  });

  app.get('/v2/:name{.+}/manifests/:reference', async (c) => {
    const manifest = await registry.manifests.getWithContent(
      c.req.param('name'),
      c.req.param('reference'),
    );
    // slice(): a private ArrayBuffer, not a view into a pooled Buffer.
    return c.body(manifest.content.slice(), 200, manifestHeaders(manifest));
  });

  app.put('/v2/:name{.+}/manifests/:reference', async (c) => {
    const name = c.req.param('name');
    const stored = await registry.manifests.put(
      name,
      c.req.param('reference'),
      c.req.header('content-type') ?? '',
      requestBody(c),
    );
    const headers: Record<string, string> = {
      Location: manifestPath(name, stored.digest),
      'Docker-Content-Digest': stored.digest,
      'Content-Length': '0',
    };
    if (stored.subjectDigest) headers['OCI-Subject'] = stored.subjectDigest;
    return c.body(null, 201, headers);
  });

  app.delete('/v2/:name{.+}/manifests/:reference', async (c) => {
    await registry.manifests.delete(c.req.param('name'), c.req.param('reference'));
    return c.body(null, 202, { 'Content-Length': '0' });
  });
}
