import { ServerResponse, type Server } from 'node:http';
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { fileSourceOf } from '../../shared/adapters/blob/file-read-stream.js';
import type { HttpApp } from '../../shared/http/http-env.js';
import { sendFile } from './send-file.js';

/** Bodies from a file at least this long are sent by `sendFile`; below it, one chunk is all there is. */
const SENT_FROM_FILE_BYTES = 2 * 1024 * 1024;

/**
 * Node's HTTP server for the registry. Node ends a request after 5 minutes
 * by default (`requestTimeout`), which would cut a multi-gigabyte layer
 * streaming in over a slow link; a stalled connection is still dropped by
 * `headersTimeout` and by the socket's own timeout.
 */
export function serveRegistry(
  app: HttpApp,
  options: { hostname: string; port: number },
  onListening: (port: number) => void,
): Server {
  return serve(
    {
      fetch: async (request: Request, env: HttpBindings | Http2Bindings) => {
        const response = await app.fetch(request, env);
        const file = response.body ? fileSourceOf(response.body) : undefined;
        if (!file || file.end - file.start < SENT_FROM_FILE_BYTES) return response;
        if (!(env.outgoing instanceof ServerResponse)) return response;
        await response.body!.cancel();
        await sendFile(env.outgoing, response, file);
        return RESPONSE_ALREADY_SENT;
      },
      hostname: options.hostname,
      port: options.port,
      serverOptions: { requestTimeout: 0, headersTimeout: 60_000 },
    },
    (info) => onListening(info.port),
  ) as Server;
}

/**
 * Stops taking requests and waits for those in flight (uploads included)
 * to end, up to `graceMs`; idle keep-alive connections are closed at once.
 */
export function drain(server: Server, graceMs: number): Promise<'drained' | 'timed out'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timed out'), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve('drained');
    });
    server.closeIdleConnections();
  });
}
