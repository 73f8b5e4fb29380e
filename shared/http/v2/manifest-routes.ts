import type { ManifestRecord } from '../../ports/metadata-store.js';
import { looksLikeDigest } from '../../oci/grammar.js';
import type { HttpApp } from '../http-env.js';
import { authorize } from './authorize.js';
import { requestBody } from '../request-body.js';
import { manifestPath } from './paths.js';
import type { V2Deps } from './v2-deps.js';

function manifestHeaders(manifest: ManifestRecord): Record<string, string> {
  return {
    'Content-Type': manifest.mediaType,
    'Content-Length': String(manifest.size),
    'Docker-Content-Digest': manifest.digest,
    ETag: `"${manifest.digest}"`,
  };
}

function referenceMetadata(reference: string, digest: string): Record<string, string> {
  return looksLikeDigest(reference)
    ? { manifest_digest: digest }
    : { tag: reference, manifest_digest: digest };
}

export function registerManifestRoutes(app: HttpApp, { registry, access }: V2Deps): void {
  app.get('/v2/:name{.+}/manifests/:reference', async (c) => {
    const { name, reference } = c.req.param();
    const { caller } = await authorize(c, access, name, 'pull');
    // Hono answers HEAD with this route; a HEAD reads no bytes and is no pull.
    if (c.req.method === 'HEAD') {
      return c.body(null, 200, manifestHeaders(await registry.manifests.get(name, reference)));
    }
    const manifest = await registry.manifests.getWithContent(name, reference);
    await access.record(caller, 'pull_repo', name, referenceMetadata(reference, manifest.digest));
    // slice(): a private ArrayBuffer, not a view into a pooled Buffer.
    return c.body(manifest.content.slice(), 200, manifestHeaders(manifest));
  });

  app.put('/v2/:name{.+}/manifests/:reference', async (c) => {
    const { name, reference } = c.req.param();
    const { caller, repository } = await authorize(c, access, name, 'push');
    const stored = await registry.manifests.put(
      name,
      reference,
      c.req.header('content-type') ?? '',
      requestBody(c),
      caller.performer,
      repository,
    );
    const headers: Record<string, string> = {
      Location: manifestPath(name, stored.digest),
      'Docker-Content-Digest': stored.digest,
      'Content-Length': '0',
    };
    if (stored.subjectDigest) headers['OCI-Subject'] = stored.subjectDigest;
    await access.record(caller, 'push_repo', name, referenceMetadata(reference, stored.digest));
    return c.body(null, 201, headers);
  });

  app.delete('/v2/:name{.+}/manifests/:reference', async (c) => {
    const { name, reference } = c.req.param();
    const { caller } = await authorize(c, access, name, 'delete');
    await registry.manifests.delete(name, reference);
    const metadata = looksLikeDigest(reference)
      ? { manifest_digest: reference }
      : { tag: reference };
    await access.record(caller, 'delete_tag', name, metadata);
    return c.body(null, 202, { 'Content-Length': '0' });
  });
}
