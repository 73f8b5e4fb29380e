import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { parseBasic } from '../../access/authenticator.js';
import { csrfMatches } from '../../access/sessions.js';
import { CSRF_REFUSAL } from './api-auth.js';
import { readSessionCookie } from './session-cookie.js';
import { OAuthError } from '../../access/oauth.js';
import { AccessError } from '../../errors/access-error.js';
import type { OAuthApplicationRecord } from '../../ports/oauth-store.js';
import type { HttpApp } from '../http-env.js';
import type { ApiApp, ApiServices } from './api-env.js';
import { ERRORS, json, jsonBody, noContent } from './route-helpers.js';
import { OrgParams } from './schemas.js';
import { avatar } from './views.js';

const Application = z
  .object({
    name: z.string(),
    description: z.string(),
    application_uri: z.string(),
    redirect_uri: z.string(),
    client_id: z.string(),
    client_secret: z.string().optional().openapi({ description: 'only when created or reset' }),
    avatar_email: z.string().nullable(),
    avatar: z.unknown(),
  })
  .openapi('OAuthApplication');

const applicationView = (a: OAuthApplicationRecord, clientSecret?: string) => ({
  name: a.name,
  description: a.description,
  application_uri: a.applicationUri,
  redirect_uri: a.redirectUri,
  client_id: a.clientId,
  ...(clientSecret === undefined ? {} : { client_secret: clientSecret }),
  avatar_email: null,
  avatar: avatar(a.name, 'app'),
});

const AppParams = OrgParams.extend({
  client_id: z.string().openapi({ param: { name: 'client_id', in: 'path' } }),
});

/** `/api/v1/organization/{orgname}/applications`: OAuth applications of an organization. */
export function registerApplicationRoutes(app: ApiApp, services: ApiServices): void {
  const oauth = services.oauth;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/organization/{orgname}/applications',
      tags: ['oauth'],
      summary: "An organization's OAuth applications (admins)",
      request: { params: OrgParams },
      responses: {
        200: json(z.object({ applications: z.array(Application) }), 'applications'),
        ...ERRORS,
      },
    }),
    async (c) => {
      const list = await oauth.listApplications(c.get('principal'), c.req.valid('param').orgname);
      return c.json({ applications: list.map((a) => applicationView(a)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/organization/{orgname}/applications',
      tags: ['oauth'],
      summary: 'Register an OAuth application; its client secret is shown once',
      request: {
        params: OrgParams,
        body: jsonBody(
          z.strictObject({
            name: z.string().min(1).max(255),
            redirect_uri: z.string().min(1),
            application_uri: z.string().default(''),
            description: z.string().max(1024).default(''),
            avatar_email: z.string().optional(),
          }),
        ),
      },
      responses: { 200: json(Application, 'the application, with its client secret'), ...ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { application, clientSecret } = await oauth.createApplication(
        c.get('principal'),
        c.req.valid('param').orgname,
        {
          name: body.name,
          redirectUri: body.redirect_uri,
          applicationUri: body.application_uri,
          description: body.description,
        },
      );
      return c.json(applicationView(application, clientSecret), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/app/{client_id}',
      tags: ['oauth'],
      summary: 'What anyone may know of an OAuth application, for its consent page',
      request: {
        params: z.object({
          client_id: z.string().openapi({ param: { name: 'client_id', in: 'path' } }),
        }),
      },
      responses: {
        200: json(
          z
            .object({
              name: z.string(),
              description: z.string(),
              uri: z.string(),
              avatar: z.unknown(),
              organization: z.object({ name: z.string(), avatar: z.unknown() }),
            })
            .openapi('ApplicationInformation'),
          'the application',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const { application, organization } = await oauth.publicInformation(
        c.req.valid('param').client_id,
      );
      return c.json(
        {
          name: application.name,
          description: application.description,
          uri: application.applicationUri,
          avatar: avatar(application.name, 'app'),
          organization: { name: organization.name, avatar: avatar(organization.name, 'org') },
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/organization/{orgname}/applications/{client_id}',
      tags: ['oauth'],
      summary: 'An OAuth application (admins)',
      request: { params: AppParams },
      responses: { 200: json(Application, 'the application'), ...ERRORS },
    }),
    async (c) => {
      const { orgname, client_id } = c.req.valid('param');
      const { application } = await oauth.getApplication(c.get('principal'), orgname, client_id);
      return c.json(applicationView(application), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/organization/{orgname}/applications/{client_id}',
      tags: ['oauth'],
      summary: 'Delete an OAuth application and every token granted to it (admins)',
      request: { params: AppParams },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      const { orgname, client_id } = c.req.valid('param');
      await oauth.deleteApplication(c.get('principal'), orgname, client_id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/organization/{orgname}/applications/{client_id}/resetclientsecret',
      tags: ['oauth'],
      summary: "Replace an OAuth application's client secret (admins)",
      request: { params: AppParams },
      responses: {
        200: json(Application, 'the application, with its new client secret'),
        ...ERRORS,
      },
    }),
    async (c) => {
      const { orgname, client_id } = c.req.valid('param');
      const { application, clientSecret } = await oauth.resetClientSecret(
        c.get('principal'),
        orgname,
        client_id,
      );
      return c.json(applicationView(application, clientSecret), 200);
    },
  );
}

/** The web console's page that asks a user to approve an application's grant. */
export const CONSENT_PAGE = '/authorize';

const isJson = (type: string | undefined) =>
  /^application\/json\s*(;|$)/i.test((type ?? '').trim());

/**
 * The OAuth 2 endpoints themselves (`/oauth/authorize`, `/oauth/access_token`),
 * answering errors as RFC 6749 says rather than as the REST API does.
 */
export function registerOAuthEndpoints(app: HttpApp, services: ApiServices): void {
  const consoleSession = async (c: Context) => {
    const cookie = readSessionCookie(c);
    return cookie ? services.access.sessions.resolve(cookie) : null;
  };
  const oauthError = (error: unknown) => {
    if (error instanceof OAuthError) {
      return Response.json(
        { error: error.error, error_description: error.message },
        { status: 400 },
      );
    }
    if (error instanceof AccessError && error.kind === 'unauthorized') {
      return Response.json(
        { error: 'access_denied', error_description: error.message },
        // No Basic challenge: a browser would keep the credentials it was
        // given and send them with requests other sites make it send.
        { status: 401 },
      );
    }
    if (error instanceof AccessError && error.kind === 'too_many_attempts') {
      return Response.json(
        { error: 'access_denied', error_description: error.message },
        { status: 429, headers: { 'Retry-After': String(error.options.retryAfterSeconds ?? 1) } },
      );
    }
    if (error instanceof AccessError) {
      return Response.json(
        { error: 'access_denied', error_description: error.message },
        { status: 403 },
      );
    }
    throw error;
  };

  // A grant is never made by a GET: a link, an image or a redirect from
  // another site would make one with whatever credentials the browser holds.
  // The browser an application sends here is shown the console's consent
  // page, which asks the signed-in user and then posts the grant.
  app.get('/oauth/authorize', (c) => {
    const query = new URL(c.req.url).search;
    return c.body(null, 303, { Location: `${CONSENT_PAGE}${query}`, 'Cache-Control': 'no-store' });
  });

  app.post('/oauth/authorize', async (c) => {
    try {
      // A cross-site form can send only form or text bodies, and a
      // cross-site script cannot send JSON without a CORS preflight this
      // server never answers; browsers that say where a request comes from
      // are refused outright when it is another site.
      if (!isJson(c.req.header('content-type'))) {
        return Response.json(
          { error: 'invalid_request', error_description: 'the grant must be sent as JSON' },
          { status: 415 },
        );
      }
      const site = c.req.header('sec-fetch-site');
      if (site === 'cross-site' || site === 'same-site') {
        throw new AccessError('forbidden', 'a grant cannot be requested from another site');
      }
      const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        throw new OAuthError('invalid_request', 'the body must be a JSON object');
      }
      const field = (name: string) =>
        typeof body[name] === 'string' ? (body[name] as string) : undefined;
      const basic = parseBasic(c.req.header('authorization'));
      const session = basic ? null : await consoleSession(c);
      if (!basic && !session) {
        throw new AccessError(
          'unauthorized',
          'sign in, or send Basic credentials, to grant a token',
        );
      }
      if (session && !csrfMatches(session, c.req.header('x-csrf-token'))) {
        throw new AccessError('forbidden', CSRF_REFUSAL);
      }
      const actor = basic
        ? await services.access.authenticator.login(
            basic.username,
            basic.password,
            c.get('clientAddress'),
          )
        : session!.principal;
      const location = await services.oauth.authorize(actor, {
        responseType: field('response_type') ?? '',
        clientId: field('client_id') ?? '',
        redirectUri: field('redirect_uri'),
        scope: field('scope') ?? '',
        state: field('state'),
      });
      // The consent page cannot read a redirect's target, so it is told it and goes there itself.
      if (session) return c.json({ location }, 200, { 'Cache-Control': 'no-store' });
      return c.body(null, 302, { Location: location, 'Cache-Control': 'no-store' });
    } catch (error) {
      return oauthError(error);
    }
  });

  app.post('/oauth/access_token', async (c) => {
    try {
      const type = c.req.header('content-type') ?? '';
      const form: Record<string, unknown> = type.includes('application/json')
        ? ((await c.req.json().catch(() => ({}))) as Record<string, unknown>)
        : await c.req.parseBody();
      const field = (name: string) =>
        typeof form[name] === 'string' ? (form[name] as string) : undefined;
      // Client credentials may come as Basic, as RFC 6749 prefers, or in the form.
      const basic = parseBasic(c.req.header('authorization'));
      const token = await services.oauth.exchangeCode({
        grantType: field('grant_type') ?? '',
        code: field('code') ?? '',
        clientId: basic?.username ?? field('client_id') ?? '',
        clientSecret: basic?.password ?? field('client_secret') ?? '',
        redirectUri: field('redirect_uri'),
      });
      return c.json(token, 200, { 'Cache-Control': 'no-store' });
    } catch (error) {
      return oauthError(error);
    }
  });
}
