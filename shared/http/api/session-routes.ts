import { createRoute, z } from '@hono/zod-openapi';
import { AccessError } from '../../errors/access-error.js';
import type { HttpApp } from '../http-env.js';
import type { ApiApp, ApiServices } from './api-env.js';
import { quayError } from './api-errors.js';
import { ERRORS, json, jsonBody } from './route-helpers.js';
import { QuayErrorSchema } from './schemas.js';
import {
  clearSessionCookie,
  fromAnotherSite,
  readSessionCookie,
  writeSessionCookie,
} from './session-cookie.js';

const Success = z.object({ success: z.boolean() }).openapi('Success');

const SigninFailure = z
  .object({
    needsEmailVerification: z.boolean(),
    invalidCredentials: z.boolean(),
    message: z.string(),
  })
  .openapi('SigninFailure');

/**
 * Quay's `/api/v1/signin` and `/api/v1/signout`: the web console's session.
 * Only a JSON body signs in, and never from another site: a form elsewhere
 * could otherwise sign a visitor into an account of the attacker's choosing.
 */
export function registerSessionRoutes(app: ApiApp, services: ApiServices): void {
  const { sessions } = services.access;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/signin',
      tags: ['user'],
      summary: 'Sign in to the web console: sets the session cookie',
      request: {
        body: jsonBody(
          z.strictObject({
            username: z.string().min(1).max(255),
            password: z.string().min(1),
            invite_code: z.string().optional(),
          }),
        ),
      },
      responses: {
        200: json(Success, 'signed in; the session cookie is set'),
        403: json(SigninFailure, 'wrong credentials, or a request from another site'),
        400: ERRORS[400],
        429: json(QuayErrorSchema, 'too many failed logins from this address; see Retry-After'),
      },
    }),
    async (c) => {
      const failure = (message: string) =>
        c.json({ needsEmailVerification: false, invalidCredentials: true, message }, 403);
      if (fromAnotherSite(c)) return failure('sign in from this registry’s own pages');
      const { username, password } = c.req.valid('json');
      try {
        const session = await sessions.signIn(username, password, c.get('clientAddress'));
        writeSessionCookie(c, session.token, session.expiresAtMs);
        c.header('Cache-Control', 'no-store');
        return c.json({ success: true }, 200);
      } catch (error) {
        if (error instanceof AccessError && error.kind === 'unauthorized') {
          return failure('Invalid Username or Password');
        }
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/signout',
      tags: ['user'],
      summary: "End the caller's console sessions, everywhere (as Quay does)",
      responses: { 200: json(Success, 'signed out'), ...ERRORS },
    }),
    async (c) => {
      const session = c.get('session');
      const principal = c.get('principal');
      if (session && principal.kind === 'user') {
        await sessions.endAll(principal.account.id, undefined);
      } else {
        const cookie = readSessionCookie(c);
        if (cookie) await sessions.signOut(cookie);
      }
      clearSessionCookie(c);
      return c.json({ success: true }, 200);
    },
  );
}

/**
 * Quay's `GET /csrf_token`: the token a session's writes carry in
 * `X-CSRF-Token`. Only this origin's pages can read the answer (no CORS),
 * so only they can send it.
 */
export function registerCsrfEndpoint(app: HttpApp, services: ApiServices): void {
  app.get('/csrf_token', async (c) => {
    const cookie = readSessionCookie(c);
    const session = cookie ? await services.access.sessions.resolve(cookie) : null;
    c.header('Cache-Control', 'no-store');
    if (!session) return c.json(quayError(401, 'invalid_token', 'not signed in'), 401);
    return c.json({ csrf_token: session.csrfToken }, 200);
  });
}
