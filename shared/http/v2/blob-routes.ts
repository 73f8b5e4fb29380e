import type { BlobRecord } from '../../ports/metadata-store.js';
import type { HttpApp } from '../http-env.js';
import { authorize } from './authorize.js';
import type { V2Deps } from './v2-deps.js';

function blobHeaders(blob: BlobRecord): Record<string, string> {
  return {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': blob.digest,
    ETag: `"${blob.digest}"`,
    'Accept-Ranges': 'bytes',
    // A digest names its content forever.
    'Cache-Control': 'max-age=31536000, immutable',
  };
}

export function registerBlobRoutes(app: HttpApp, { registry, access }: V2Deps): void {
  // Hono answers HEAD with the GET route (and drops the body), so HEAD is
  // handled here: it must not open the blob, nor redirect to a URL signed
  // for GET only.
  app.get('/v2/:name{.+}/blobs/:digest', async (c) => {
    await authorize(c, access, c.req.param('name'), 'pull');
    if (c.req.method === 'HEAD') {
      const blob = await registry.blobs.stat(c.req.param('name'), c.req.param('digest'));
      return c.body(null, 200, { ...blobHeaders(blob), 'Content-Length': String(blob.size) });
    }
    const content = await registry.blobs.open(
      c.req.param('name'),
      c.req.param('digest'),
      c.req.header('range'),
    );
    if (content.kind === 'redirect') {
      return c.body(null, 307, {
        Location: content.url,
        'Docker-Content-Digest': content.blob.digest,
      });
    }
    const headers = blobHeaders(content.blob);
    if (content.range) {
      const { start, end } = content.range;
      headers['Content-Range'] = `bytes ${start}-${end}/${content.blob.size}`;
      headers['Content-Length'] = String(end - start + 1);
      return c.body(content.stream, 206, headers);
    }
    headers['Content-Length'] = String(content.blob.size);
    return c.body(content.stream, 200, headers);
  });

  app.delete('/v2/:name{.+}/blobs/:digest', async (c) => {
    await authorize(c, access, c.req.param('name'), 'delete');
    await registry.blobs.delete(c.req.param('name'), c.req.param('digest'));
    return c.body(null, 202, { 'Content-Length': '0' });
  });
}
