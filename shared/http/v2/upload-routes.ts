import { rangeHeader } from '../../registry/uploads.js';
import type { Registry } from '../../registry/registry.js';
import type { HttpApp } from '../http-env.js';
import { optionalRequestBody, requestBody } from '../request-body.js';
import { blobPath, uploadPath } from './paths.js';

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

export function registerUploadRoutes(app: HttpApp, registry: Registry): void {
  app.post('/v2/:name{.+}/blobs/uploads', async (c) => {
    const name = c.req.param('name');
    const mount = c.req.query('mount');
    const digest = c.req.query('digest');
    if (!mount && digest) {
      const stored = await registry.uploads.uploadMonolithic(name, digest, requestBody(c));
      return c.body(null, 201, createdHeaders(name, stored));
    }
    const from = c.req.query('from');
    const started = await registry.uploads.start(
      name,
      mount ? (from ? { digest: mount, from } : { digest: mount }) : undefined,
    );
    if (started.kind === 'blob') return c.body(null, 201, createdHeaders(name, started.digest));
    return c.body(null, 202, {
      ...sessionHeaders(name, started.uploadId, started.offset),
      'OCI-Chunk-Min-Length': String(registry.deps.options.chunkMinLength),
    });
  });

  app.get('/v2/:name{.+}/blobs/uploads/:uploadId', async (c) => {
    const { name, uploadId } = c.req.param();
    const size = await registry.uploads.status(name, uploadId);
    return c.body(null, 204, sessionHeaders(name, uploadId, size));
  });

  app.patch('/v2/:name{.+}/blobs/uploads/:uploadId', async (c) => {
    const { name, uploadId } = c.req.param();
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
    const digest = await registry.uploads.finish(
      name,
      uploadId,
      c.req.query('digest'),
      optionalRequestBody(c),
      c.req.header('content-range'),
    );
    return c.body(null, 201, createdHeaders(name, digest));
  });

  app.delete('/v2/:name{.+}/blobs/uploads/:uploadId', async (c) => {
    const { name, uploadId } = c.req.param();
    await registry.uploads.cancel(name, uploadId);
    return c.body(null, 204);
  });
}
