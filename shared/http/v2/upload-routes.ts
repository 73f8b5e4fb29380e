import { rangeHeader } from '../../registry/uploads.js';
import { AccessError } from '../../errors/access-error.js';
import type { HttpApp } from '../http-env.js';
import { authorize, callerOf } from './authorize.js';
import { optionalRequestBody, requestBody } from '../request-body.js';
import { blobPath, uploadPath } from './paths.js';
import { queryText } from './query-text.js';
import type { V2Deps } from './v2-deps.js';

function sessionHeaders(name: string, uploadId: string, size: number): Record<string, string> {
  return {
    Location: uploadPath(name, uploadId),
    Range: rangeHeader(size),
    'Docker-Upload-UUID': uploadId,
    'Blob-Upload-Session-ID': uploadId,
    'Content-Length': '0',
  };
}

function createdHeaders(name: string, digest: string): Record<string, string> {
  return {
    Location: blobPath(name, digest),
    'Docker-Content-Digest': digest,
    'Content-Length': '0',
  };
}

export function registerUploadRoutes(app: HttpApp, { registry, access }: V2Deps): void {
  /**
   * A mount reads the source repository, so it needs read access there; an
   * access-controlled registry also needs to know the source. Otherwise the
   * mount quietly becomes an ordinary upload, as the spec allows, and tells
   * nothing about the source.
   */
  async function permittedMount(
    c: Parameters<typeof callerOf>[0],
    mount: string | undefined,
    from: string | undefined,
  ): Promise<{ digest: string; from?: string } | undefined> {
    if (!mount) return undefined;
    if (!access.enforcing) return from ? { digest: mount, from } : { digest: mount };
    if (!from) return undefined;
    try {
      await access.authorize(await callerOf(c, access), from, 'pull');
      return { digest: mount, from };
    } catch (error) {
      if (error instanceof AccessError) return undefined;
      throw error;
    }
  }

  app.post('/v2/:name{.+}/blobs/uploads', async (c) => {
    const name = c.req.param('name');
    await authorize(c, access, name, 'push');
    const digest = queryText(c, 'digest', 'DIGEST_INVALID');
    const mountDigest = queryText(c, 'mount', 'DIGEST_INVALID');
    const mount = await permittedMount(c, mountDigest, queryText(c, 'from', 'NAME_INVALID'));
    if (!mountDigest && digest) {
      const stored = await registry.uploads.uploadMonolithic(name, digest, requestBody(c));
      return c.body(null, 201, createdHeaders(name, stored));
    }
    const started = await registry.uploads.start(name, mount);
    if (started.kind === 'blob') return c.body(null, 201, createdHeaders(name, started.digest));
    return c.body(null, 202, {
      ...sessionHeaders(name, started.uploadId, started.offset),
      'OCI-Chunk-Min-Length': String(registry.deps.options.chunkMinLength),
    });
  });

  app.get('/v2/:name{.+}/blobs/uploads/:uploadId', async (c) => {
    const { name, uploadId } = c.req.param();
    await authorize(c, access, name, 'push');
    const size = await registry.uploads.status(name, uploadId);
    return c.body(null, 204, sessionHeaders(name, uploadId, size));
  });

  app.patch('/v2/:name{.+}/blobs/uploads/:uploadId', async (c) => {
    const { name, uploadId } = c.req.param();
    await authorize(c, access, name, 'push');
    const size = await registry.uploads.append(
      name,
      uploadId,
      requestBody(c),
      c.req.header('content-range'),
    );
    return c.body(null, 202, sessionHeaders(name, uploadId, size));
  });

  app.put('/v2/:name{.+}/blobs/uploads/:uploadId', async (c) => {
    const { name, uploadId } = c.req.param();
    await authorize(c, access, name, 'push');
    const digest = await registry.uploads.finish(
      name,
      uploadId,
      queryText(c, 'digest', 'DIGEST_INVALID'),
      optionalRequestBody(c),
      c.req.header('content-range'),
    );
    return c.body(null, 201, createdHeaders(name, digest));
  });

  app.delete('/v2/:name{.+}/blobs/uploads/:uploadId', async (c) => {
    const { name, uploadId } = c.req.param();
    await authorize(c, access, name, 'push');
    await registry.uploads.cancel(name, uploadId);
    return c.body(null, 204);
  });
}
