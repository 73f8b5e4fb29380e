import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { ociError } from '../errors/registry-error.js';
import type { AccessServices } from '../access/access-services.js';
import type { Registry } from '../registry/registry.js';
import type { HttpEnv, HttpApp } from './http-env.js';
import { quayError } from './api/api-errors.js';
import { renderError, type UnknownErrorLogger } from './render-error.js';
import type { BodyReader } from './request-body.js';
import { clientAddressResolver, type ClientAddressOptions } from './client-address.js';

/** The REST API's prefix; unknown paths under it answer in Quay's JSON. */
export const API_PREFIX = '/api/v1';

/** What a surface (`/v2`, `/api/v1`) needs to register its routes. */
export interface SurfaceDeps {
  registry: Registry;
  access: AccessServices;
  logUnknownError: UnknownErrorLogger;
}

/**
 * A set of routes one deployable serves. Locally one process serves all;
 * on AWS the registry and the REST API are separate functions, so each
 * bundle carries only its own surface's code.
 */
export type Surface = (app: HttpApp, deps: SurfaceDeps) => void;

export interface HttpAppOptions {
  registry: Registry;
  access: AccessServices;
  /** The registry's public URL (`https://host`), for token realms; the request's origin otherwise. */
  publicUrl?: string | undefined;
  /** Behind the one front door: where it says the viewer's host is, and how to know it was it. */
  edge?: EdgeOptions;
  logUnknownError?: UnknownErrorLogger;
  /** A runtime's faster request-body reader; the Fetch API body otherwise. */
  readBody?: BodyReader;
  /** How the client's address is known: the runtime's peer, trusted proxies, a front door's header. */
  clientAddress?: ClientAddressOptions;
  surfaces: Surface[];
}

export interface EdgeOptions {
  /**
   * The header the front door writes the viewer's host into. Viewers reach
   * the registry over HTTPS only, so the origin is `https://<that host>`,
   * whatever scheme the hop behind the front door used.
   */
  viewerHostHeader?: string | undefined;
  /**
   * Refuses a request that did not come through the front door (403), before
   * anything else happens; for an origin anyone could reach, a function URL.
   */
  verifyOrigin?: (request: Request) => boolean | Promise<boolean>;
}

const HOST = /^[A-Za-z0-9.-]+(:\d+)?$/;

/** The origin a proxy in front says the client used. */
function forwardedOrigin(request: Request, edge: EdgeOptions | undefined): string | undefined {
  if (edge?.viewerHostHeader) {
    const host = request.headers.get(edge.viewerHostHeader);
    return host && HOST.test(host) ? `https://${host}` : undefined;
  }
  const host = request.headers.get('x-forwarded-host');
  if (!host || !HOST.test(host)) return undefined;
  const proto = request.headers.get('x-forwarded-proto') === 'https' ? 'https' : 'http';
  return `${proto}://${host}`;
}

const defaultLogger: UnknownErrorLogger = (error, requestId) =>
  console.error(`[berth] request ${requestId} failed:`, error);

/** The HTTP app both runtimes serve: Node's server locally, the Lambda adapter on AWS. */
export function createHttpApp({
  registry,
  access: accessServices,
  publicUrl,
  edge,
  logUnknownError = defaultLogger,
  readBody,
  clientAddress,
  surfaces,
}: HttpAppOptions): HttpApp {
  const addressOf = clientAddressResolver(clientAddress);
  // Not strict: `/v2/<name>/blobs/uploads/` and `/v2/` are spelled with and without the slash.
  const app: HttpApp = new Hono<HttpEnv>({ strict: false });
  const access = accessServices.registryAccess;

  app.use('*', async (c, next) => {
    c.set('requestId', c.req.header('x-request-id') ?? randomUUID());
    c.set('clientAddress', addressOf(c));
    if (edge?.verifyOrigin && !(await edge.verifyOrigin(c.req.raw))) {
      const message = 'requests reach this registry through its front door only';
      return c.req.path.startsWith(`${API_PREFIX}/`) || c.req.path.startsWith('/oauth/')
        ? c.json(quayError(403, 'insufficient_scope', message), 403)
        : renderError(ociError('DENIED', { message }), c, logUnknownError);
    }
    if (readBody) c.set('readBody', readBody);
    const origin = publicUrl ?? forwardedOrigin(c.req.raw, edge) ?? new URL(c.req.url).origin;
    c.set('publicOrigin', origin);
    if (access.service) c.set('challenge', { realm: `${origin}/v2/auth`, service: access.service });
    await next();
    c.header('Docker-Distribution-API-Version', 'registry/2.0');
  });

  for (const surface of surfaces)
    surface(app, { registry, access: accessServices, logUnknownError });

  app.notFound((c) =>
    c.req.path.startsWith(`${API_PREFIX}/`)
      ? c.json(quayError(404, 'not_found', 'no such API endpoint'), 404)
      : renderError(
          ociError('UNSUPPORTED', { status: 404, message: 'no such endpoint' }),
          c,
          logUnknownError,
        ),
  );
  app.onError((error, c) => {
    const response = renderError(error, c, logUnknownError);
    response.headers.set('Docker-Distribution-API-Version', 'registry/2.0');
    return response;
  });
  return app;
}
