import type { Context } from 'hono';
import type { ByteSource } from '../ports/blob-store.js';
import type { HttpEnv } from './http-env.js';

/**
 * Reads a request body as bytes arrive. Runtimes may supply a faster reader
 * than the portable one (Node's server hands over its socket stream); it
 * returns `undefined` when it cannot serve the request.
 */
export type BodyReader = (c: Context<HttpEnv>) => ByteSource | undefined;

/** The portable reader: the Fetch API body. Cancels the rest if the consumer stops early. */
export async function* webRequestBody(request: Request): ByteSource {
  if (!request.body) return;
  const reader = request.body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

export function requestBody(c: Context<HttpEnv>): ByteSource {
  return c.get('readBody')?.(c) ?? webRequestBody(c.req.raw);
}

/** `null` when the request carries no body at all (no `Content-Length`, or zero). */
export function optionalRequestBody(c: Context<HttpEnv>): ByteSource | null {
  const length = c.req.header('content-length');
  const chunked = c.req.header('transfer-encoding');
  if (!chunked && (length === undefined || length === '0')) return null;
  return requestBody(c);
}
