import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { ociError } from '../../shared/errors/registry-error.js';
import type { HttpApp } from '../../shared/http/http-env.js';

/**
 * A buffered Lambda response carries at most 6 MB (see `test/infra/aws-facts.ts`),
 * and every body goes base64 (4 bytes for 3), with room left for headers: a
 * 4 MiB manifest fits, a layer never does.
 */
export const MAX_BUFFERED_BODY_BYTES = Math.floor(((6_000_000 - 64 * 1024) * 3) / 4);

/**
 * Every response body is sent base64, so manifests reach the client byte for
 * byte. A body too large for a buffered response is refused before it is
 * read, instead of being read whole into memory and then dropped by Lambda:
 * blob bytes must never come this way (the front door sends proxied blob
 * reads to the data plane).
 */
export function lambdaHttpHandler(app: HttpApp) {
  const guarded = new Hono();
  guarded.all('*', async (c) => {
    const response = await app.fetch(c.req.raw, c.env);
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length <= MAX_BUFFERED_BODY_BYTES) return response;
    await response.body?.cancel();
    const error = ociError('UNSUPPORTED', {
      status: 500,
      message: 'this response is too large for a function; blob bytes are served by the data plane',
      detail: { bytes: length, limit: MAX_BUFFERED_BODY_BYTES },
    });
    return c.json(error.toJSON(), 500);
  });
  return handle(guarded, { isContentTypeBinary: () => true });
}
