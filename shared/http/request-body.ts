import type { ByteSource } from '../ports/blob-store.js';

/**
 * The request body as a byte source, read as it arrives. If the consumer
 * stops early (an oversized manifest), the rest of the body is cancelled.
 */
export async function* requestBody(request: Request): ByteSource {
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

/** `null` when the request carries no body at all (no `Content-Length`, or zero). */
export function optionalRequestBody(request: Request): ByteSource | null {
  const length = request.headers.get('content-length');
  const chunked = request.headers.get('transfer-encoding');
  if (!request.body || (!chunked && (length === null || length === '0'))) return null;
  return requestBody(request);
}
