import type { MiddlewareHandler } from 'hono';
import type { ApiEnv, ApiServices } from './api-env.js';

/**
 * Who calls `/api/v1`: a Bearer token (an app-specific token, or an OAuth
 * access token whose scopes then cap what the call may do), or
 * Basic credentials for scripts (user password, robot token, `$app` token).
 * No cookies, so no cross-site request forgery to defend against.
 */
export function apiAuthentication(services: ApiServices): MiddlewareHandler<ApiEnv> {
  const { authenticator } = services.access;
  return async (c, next) => {
    c.set(
      'principal',
      await authenticator.authorization(c.req.header('authorization'), c.get('clientAddress')),
    );
    await next();
  };
}
