import type { ApiServices } from './api-env.js';
import { createApiApp, OPENAPI_INFO } from './api-app.js';

/**
 * Services that exist only to be handed to route registration: reading
 * any of them works, calling any throws. Enough to declare every route,
 * which is all the OpenAPI document needs.
 */
function declarationOnly(path: string): unknown {
  const fail = () => {
    throw new Error(`${path} was called while only declaring routes`);
  };
  return new Proxy(fail, {
    get: (_target, key) => declarationOnly(`${path}.${String(key)}`),
    apply: fail,
  });
}

/**
 * The REST API's OpenAPI document, without a database or a server: the
 * web console's API types are generated from it at build time, so the
 * console and the routes it calls cannot drift apart.
 */
export function openApiDocument(): ReturnType<
  ReturnType<typeof createApiApp>['getOpenAPIDocument']
> {
  const api = createApiApp(declarationOnly('services') as ApiServices, () => undefined);
  return api.getOpenAPIDocument(OPENAPI_INFO);
}
