import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runViewerRequest, type ViewerRequestEvent } from '../infra/cloudfront-function-runtime.js';

export interface FrontDoorBehavior {
  /** A CloudFront path pattern (`*` any characters, `?` one). */
  pattern: string;
  originId: string;
}

export interface FrontDoorOptions {
  /** The viewer-request function's code, as the edge stack deploys it. */
  code: string;
  /** Each origin id of the distribution, and the server that answers for it. */
  origins: Record<string, string>;
  /** The cache behaviors in the distribution's order; the first match wins. */
  behaviors: FrontDoorBehavior[];
  defaultOrigin: string;
}

export interface ForwardedRequest {
  method: string;
  /** Path and query as the viewer sent them. */
  url: string;
  originId: string;
  status: number;
  location: string | null;
}

export interface FrontDoor {
  url: string;
  /** `host:port`, as registry clients write it. */
  host: string;
  /** What CloudFront adds about the viewer (its geolocation headers); change it between requests. */
  viewer: Record<string, string>;
  /** Every request forwarded so far. */
  log: ForwardedRequest[];
  close(): Promise<void>;
}

const patternRegex = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('')
      .map((ch) =>
        ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&'),
      )
      .join('')}$`,
  );

/** A viewer request in CloudFront Functions' shape: lowercase header names, each `{ value }`. */
function eventOf(req: IncomingMessage, viewer: Record<string, string>): ViewerRequestEvent {
  const url = new URL(req.url!, 'http://front-door');
  const headers: ViewerRequestEvent['request']['headers'] = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined)
      headers[name] = { value: Array.isArray(value) ? value.join(',') : value };
  }
  for (const [name, value] of Object.entries(viewer)) headers[name.toLowerCase()] = { value };
  const querystring: Record<string, { value: string }> = {};
  for (const [name, value] of url.searchParams) querystring[name] = { value };
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', distributionId: 'EDFDVBD6EXAMPLE' },
    viewer: { ip: req.socket.remoteAddress ?? '127.0.0.1' },
    request: { method: req.method!, uri: url.pathname, querystring, headers, cookies: {} },
  };
}

/**
 * The global distribution, as far as the registry can tell: every request
 * runs the real viewer-request function (in CloudFront Functions' sandbox,
 * `cloudfront-function-runtime.ts`), goes to the origin it selected or else
 * to the first behavior whose pattern matches, with the headers the function
 * left, and comes back unchanged (redirects are the client's to follow).
 * The viewer's Host is kept, so servers name this address in token realms.
 */
export async function startFrontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  const behaviors = options.behaviors.map((b) => ({ ...b, regex: patternRegex(b.pattern) }));
  const log: ForwardedRequest[] = [];
  const viewer: Record<string, string> = {};
  const server: Server = createServer((req, res) => {
    const event = eventOf(req, viewer);
    const { request, selectedOrigin } = runViewerRequest(options.code, event);
    const originId =
      selectedOrigin ??
      behaviors.find((b) => b.regex.test(request.uri))?.originId ??
      options.defaultOrigin;
    const origin = options.origins[originId];
    if (!origin) throw new Error(`the function selected ${originId}, which is no origin`);
    const headers: Record<string, string> = {};
    for (const [name, { value }] of Object.entries(request.headers)) headers[name] = value;
    const upstream = httpRequest(
      new URL(req.url!, origin),
      { method: req.method, headers },
      (answer) => {
        log.push({
          method: req.method!,
          url: req.url!,
          originId,
          status: answer.statusCode!,
          location: answer.headers.location ?? null,
        });
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      log.push({ method: req.method!, url: req.url!, originId, status: 502, location: null });
      res.writeHead(502).end(String(error));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    viewer,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
