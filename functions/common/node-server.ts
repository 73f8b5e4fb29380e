import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { HttpApp } from '../../shared/http/http-env.js';

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
      fetch: app.fetch,
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
