import type { MiddlewareHandler } from 'hono';
import { csrfMatches } from '../../access/sessions.js';
import type { ApiEnv, ApiServices } from './api-env.js';
import { quayError } from './api-errors.js';
import { readSessionCookie } from './session-cookie.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Quay's words when a session's write lacks its token. */
export const CSRF_REFUSAL = 'CSRF token was invalid or missing.';

/**
 * Who calls `/api/v1`: a Bearer token (an app-specific token, or an OAuth
 * access token whose scopes then cap what the call may do), Basic
 * credentials for scripts (user password, robot token, `$app` token), or,
 * without an `Authorization` header, the web console's session cookie.
 *
 * A browser sends the cookie with whatever request any page makes it send,
 * so a session's writes must also carry its CSRF token in `X-CSRF-Token`,
 * which only pages of this origin can read (`GET /csrf_token`). Signing in
 * is the one write without it: there is no session yet.
 */
export function apiAuthentication(services: ApiServices): MiddlewareHandler<ApiEnv> {
  const { authenticator, sessions } = services.access;
  return async (c, next) => {
    const header = c.req.header('authorization');
    const cookie = header ? undefined : readSessionCookie(c);
    const session = cookie ? await sessions.resolve(cookie) : null;
    if (session) {
      const exempt = SAFE_METHODS.has(c.req.method) || c.req.path.endsWith('/signin');
      if (!exempt && !csrfMatches(session, c.req.header('x-csrf-token'))) {
        return c.json(quayError(403, 'invalid_csrf_token', CSRF_REFUSAL), 403);
      }
      c.set('session', session);
      c.set('principal', session.principal);
    } else {
      c.set('principal', await authenticator.authorization(header, c.get('clientAddress')));
    }
    await next();
  };
}
