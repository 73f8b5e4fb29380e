import { rangeHeader } from '../../registry/uploads.js';
import { AccessError } from '../../errors/access-error.js';
import type { HttpApp } from '../http-env.js';
import { authorize, callerOf } from './authorize.js';
import { optionalRequestBody, requestBody } from '../request-body.js';
import { blobPath, SESSION_LOCATION_PARAM, uploadPath } from './paths.js';
import { queryText } from './query-text.js';
import type { V2Deps } from './v2-deps.js';

function sessionHeaders(
  name: string,
  uploadId: string,
  size: number,
  location?: string,
): Record<string, string> {
  return {
    Location: uploadPath(name, uploadId, location),
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
  const storage = registry.deps.storage;

  /** The session location a request names, kept in the Location it gets back when it is one of ours. */
  function namedLocation(c: Parameters<typeof callerOf>[0]): string | undefined {
    const named = c.req.query(SESSION_LOCATION_PARAM);
    return named !== undefined && storage.names().includes(named) ? named : undefined;
  }

  /** The same request, addressed to the server that writes `location`. */
  function handedOff(c: Parameters<typeof callerOf>[0], location: string): string {
    const url = new URL(c.req.url);
    url.searchParams.set(SESSION_LOCATION_PARAM, location);
    return `${url.pathname}${url.search}`;
  }

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

  /** A session's own routes continue it in its repository; they never make one (see AuthorizeOptions). */
  const CONTINUES_UPLOAD = { createRepository: false };

  app.post('/v2/:name{.+}/blobs/uploads', async (c) => {
    const name = c.req.param('name');
    const { repository } = await authorize(c, access, name, 'push');
    const digest = queryText(c, 'digest', 'DIGEST_INVALID');
    const mountDigest = queryText(c, 'mount', 'DIGEST_INVALID');
    const mount = await permittedMount(c, mountDigest, queryText(c, 'from', 'NAME_INVALID'));
    if (!mountDigest && digest) {
      const stored = await registry.uploads.uploadMonolithic(
        name,
        digest,
        requestBody(c),
        repository,
      );
      return c.body(null, 201, createdHeaders(name, stored));
    }
    // A request already handed off is taken here, whatever this server's health: no loops.
    const mayHandOff = storage.writesElsewhere && c.req.query(SESSION_LOCATION_PARAM) === undefined;
    const started = await registry.uploads.start(name, mount, mayHandOff, repository);
    if (started.kind === 'blob') return c.body(null, 201, createdHeaders(name, started.digest));
    if (started.kind === 'elsewhere') {
      // 307 keeps the method; clients resend a bodiless POST with its credentials to the same host.
      return c.body(null, 307, { Location: handedOff(c, started.location), 'Content-Length': '0' });
    }
    return c.body(null, 202, {
      ...sessionHeaders(
        name,
        started.uploadId,
        started.offset,
        storage.writesElsewhere ? started.location : undefined,
      ),
      'OCI-Chunk-Min-Length': String(registry.deps.options.chunkMinLength),
    });
  });

  app.get('/v2/:name{.+}/blobs/uploads/:uploadId', async (c) => {
    const { name, uploadId } = c.req.param();
    await authorize(c, access, name, 'push', CONTINUES_UPLOAD);
    const size = await registry.uploads.status(name, uploadId);
    return c.body(null, 204, sessionHeaders(name, uploadId, size, namedLocation(c)));
  });

  app.patch('/v2/:name{.+}/blobs/uploads/:uploadId', async (c) => {
    const { name, uploadId } = c.req.param();
    const { repository } = await authorize(c, access, name, 'push', CONTINUES_UPLOAD);
    const size = await registry.uploads.append(
      name,
      uploadId,
      requestBody(c),
      c.req.header('content-range'),
      repository,
    );
    return c.body(null, 202, sessionHeaders(name, uploadId, size, namedLocation(c)));
  });

  app.put('/v2/:name{.+}/blobs/uploads/:uploadId', async (c) => {
    const { name, uploadId } = c.req.param();
    const { repository } = await authorize(c, access, name, 'push', CONTINUES_UPLOAD);
    const digest = await registry.uploads.finish(
      name,
      uploadId,
      queryText(c, 'digest', 'DIGEST_INVALID'),
      optionalRequestBody(c),
      c.req.header('content-range'),
      repository,
    );
    return c.body(null, 201, createdHeaders(name, digest));
  });

  app.delete('/v2/:name{.+}/blobs/uploads/:uploadId', async (c) => {
    const { name, uploadId } = c.req.param();
    await authorize(c, access, name, 'push', CONTINUES_UPLOAD);
    await registry.uploads.cancel(name, uploadId);
    return c.body(null, 204);
  });
}
