import type { MiddlewareHandler } from 'hono';
import { parseBasic, parseBearer } from '../../access/authenticator.js';
import { ANONYMOUS } from '../../access/principal.js';
import { accessError } from '../../errors/access-error.js';
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
    const header = c.req.header('authorization');
    const bearer = parseBearer(header);
    const basic = parseBasic(header);
    if (bearer) c.set('principal', await authenticator.bearer(bearer));
    else if (basic) {
      const source = c.get('clientAddress');
      c.set('principal', await authenticator.login(basic.username, basic.password, source));
    } else if (header) throw accessError('unauthorized', 'unsupported authorization scheme');
    else c.set('principal', ANONYMOUS);
    await next();
  };
}
