import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { ociError } from '../errors/registry-error.js';
import type { AccessServices } from '../access/access-services.js';
import type { Registry } from '../registry/registry.js';
import type { HttpEnv, HttpApp } from './http-env.js';
import { API_PREFIX, createApiApp, createApiServices } from './api/api-app.js';
import { quayError } from './api/api-errors.js';
import { renderError, type UnknownErrorLogger } from './render-error.js';
import type { BodyReader } from './request-body.js';
import { registerBaseRoutes } from './v2/base-routes.js';
import { registerBlobRoutes } from './v2/blob-routes.js';
import { registerListingRoutes } from './v2/listing-routes.js';
import { registerManifestRoutes } from './v2/manifest-routes.js';
import { registerUploadRoutes } from './v2/upload-routes.js';

export interface HttpAppOptions {
  registry: Registry;
  access: AccessServices;
  /** The registry's public URL (`https://host`), for token realms; the request's origin otherwise. */
  publicUrl?: string | undefined;
  logUnknownError?: UnknownErrorLogger;
  /** A runtime's faster request-body reader; the Fetch API body otherwise. */
  readBody?: BodyReader;
}

/** The origin a proxy in front says the client used (CloudFront's viewer function sets these). */
function forwardedOrigin(request: Request): string | undefined {
  const host = request.headers.get('x-forwarded-host');
  if (!host || !/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) return undefined;
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
  logUnknownError = defaultLogger,
  readBody,
}: HttpAppOptions): HttpApp {
  // Not strict: `/v2/<name>/blobs/uploads/` and `/v2/` are spelled with and without the slash.
  const app: HttpApp = new Hono<HttpEnv>({ strict: false });
  const access = accessServices.registryAccess;

  app.use('*', async (c, next) => {
    c.set('requestId', c.req.header('x-request-id') ?? randomUUID());
    if (readBody) c.set('readBody', readBody);
    if (access.service) {
      const origin = publicUrl ?? forwardedOrigin(c.req.raw) ?? new URL(c.req.url).origin;
      c.set('challenge', { realm: `${origin}/v2/auth`, service: access.service });
    }
    await next();
    c.header('Docker-Distribution-API-Version', 'registry/2.0');
  });

  // Upload routes first: `/blobs/uploads/<id>` must not be read as a blob digest.
  const v2 = { registry, access };
  registerBaseRoutes(app, v2);
  registerUploadRoutes(app, v2);
  registerBlobRoutes(app, v2);
  registerManifestRoutes(app, v2);
  registerListingRoutes(app, v2);

  app.route(API_PREFIX, createApiApp(createApiServices(accessServices, registry), logUnknownError));

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
