import type { IncomingMessage } from 'node:http';
import type { BodyReader } from '../../shared/http/request-body.js';

/**
 * Reads the body straight from Node's request stream instead of the Fetch
 * API wrapper around it: the same bytes with one stream layer fewer, which
 * is most of the cost of a large upload.
 */
export const nodeBodyReader: BodyReader = (c) => {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming && !incoming.readableDidRead ? incoming : undefined;
};
