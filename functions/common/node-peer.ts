import type { IncomingMessage } from 'node:http';

/** The connection's peer, as `@hono/node-server` hands the request's socket to the app. */
export function nodePeerAddress(c: { env: unknown }): string | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress;
}
