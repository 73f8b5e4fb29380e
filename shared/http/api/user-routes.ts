import { tagExpirationOf } from '../../access/tag-expiration.js';
import { namespaceQuotaReportView, quotaView } from './quota-views.js';
import { createRoute, z } from '@hono/zod-openapi';
import { isSuperuser, type Principal } from '../../access/principal.js';
import { requireUser } from '../../access/users.js';
import type { ApiApp, ApiServices } from './api-env.js';
import { decodePage, encodePage, ERRORS, json, jsonBody, noContent } from './route-helpers.js';
import { AppTokenView, UserParams, UserView } from './schemas.js';
import { appTokenView, avatar } from './views.js';

async function userView(services: ApiServices, principal: Principal) {
  const user = requireUser(principal, 'user:read');
  const { store } = services.access.deps;
  const organizations = await store.organizationsOf(user.account.id);
  const quota = await services.quotas.overview(user.account);
  return {
    anonymous: false,
    username: user.account.name,
    email: user.account.email,
    verified: true,
    tag_expiration_s: tagExpirationOf(services.access, user.account),
    avatar: avatar(user.account.name, 'user'),
    super_user: isSuperuser(principal),
    can_create_repo: true,
    organizations: organizations.map(({ organization, role }) => ({
      name: organization.name,
      avatar: avatar(organization.name, 'org'),
      is_org_admin: role === 'admin',
      can_create_repo: role !== 'member',
    })),
    ...(quota
      ? {
          quotas: quota.quotas.map(quotaView),
          quota_report: namespaceQuotaReportView(quota.report),
        }
      : {}),
  };
}

const PAGE_SIZE = 100;

/**
 * A page of accounts by name after Quay's `next_page` token, and the token
 * of the next page when there is one (one more row is read to know).
 */
async function namesPage<T extends { name: string }>(
  token: string | undefined,
  list: (after: string | undefined, limit: number) => Promise<T[]>,
): Promise<{ items: T[]; next_page: { next_page?: string } }> {
  const rows = await list(decodePage(token), PAGE_SIZE + 1);
  const items = rows.slice(0, PAGE_SIZE);
  return {
    items,
    next_page:
      rows.length > PAGE_SIZE ? { next_page: encodePage(items[items.length - 1]!.name) } : {},
  };
}

export function registerUserRoutes(app: ApiApp, services: ApiServices): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/user',
      tags: ['user'],
      summary: 'The calling user',
      responses: { 200: json(UserView, 'the user'), ...ERRORS },
    }),
    async (c) => c.json(await userView(services, c.get('principal')), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/user',
      tags: ['user'],
      summary: "Change the calling user's password or e-mail",
      request: {
        body: jsonBody(
          z.strictObject({
            password: z.string().optional(),
            email: z.string().optional(),
            tag_expiration_s: z.number().int().min(0).optional().openapi({
              description:
                'how long deleted and moved tags stay restorable (TAG_EXPIRATION_OPTIONS)',
            }),
          }),
        ),
      },
      responses: { 200: json(UserView, 'the user'), ...ERRORS },
    }),
    async (c) => {
      const { password, email, tag_expiration_s } = c.req.valid('json');
      const principal = c.get('principal');
      if (tag_expiration_s !== undefined) {
        await services.users.changeTagExpiration(principal, tag_expiration_s);
      }
      if (password !== undefined) {
        await services.users.changePassword(principal, password);
        // Whoever knew the old password is signed out everywhere else.
        await services.access.sessions.endAll(requireUser(principal).account.id, c.get('session'));
      }
      if (email !== undefined) await services.users.changeEmail(principal, email);
      const account = await services.access.deps.store.findAccountById(
        requireUser(principal).account.id,
      );
      return c.json(
        await userView(services, services.access.authenticator.principalFor(account!)),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/user/initialize',
      tags: ['user'],
      summary: 'Create the first user of an empty registry (FEATURE_USER_INITIALIZE)',
      request: {
        body: jsonBody(
          z.strictObject({
            username: z.string(),
            password: z.string(),
            email: z.string().optional(),
            access_token: z.boolean().optional(),
          }),
        ),
      },
      responses: {
        200: json(
          z.object({
            username: z.string(),
            email: z.string().nullable(),
            access_token: z.string().optional(),
          }),
          'the user, with an app token when asked for',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const account = await services.users.initialize(
        input.username,
        input.password,
        input.email ?? null,
      );
      const result: { username: string; email: string | null; access_token?: string } = {
        username: account.name,
        email: account.email,
      };
      if (input.access_token) {
        const principal = services.access.authenticator.principalFor(account);
        result.access_token = (
          await services.appTokens.create(principal, 'initial access token')
        ).code;
      }
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/user/apptoken',
      tags: ['user'],
      summary: "The calling user's app-specific tokens (without their codes)",
      responses: { 200: json(z.object({ tokens: z.array(AppTokenView) }), 'tokens'), ...ERRORS },
    }),
    async (c) => {
      const tokens = await services.appTokens.list(c.get('principal'));
      return c.json({ tokens: tokens.map((t) => appTokenView(t)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/user/apptoken',
      tags: ['user'],
      summary: 'Create an app-specific token; its code is shown once',
      request: {
        body: jsonBody(
          z.strictObject({
            title: z.string().min(1).max(255),
            expiration_seconds: z.number().int().positive().optional(),
          }),
        ),
      },
      responses: {
        200: json(z.object({ token: AppTokenView }), 'the token with its code'),
        ...ERRORS,
      },
    }),
    async (c) => {
      const { title, expiration_seconds } = c.req.valid('json');
      const { token, code } = await services.appTokens.create(
        c.get('principal'),
        title,
        expiration_seconds,
      );
      return c.json({ token: appTokenView(token, code) }, 200);
    },
  );

  const TokenParams = z.object({
    token_uuid: z.string().openapi({ param: { name: 'token_uuid', in: 'path' } }),
  });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/user/apptoken/{token_uuid}',
      tags: ['user'],
      summary: 'One app-specific token (without its code)',
      request: { params: TokenParams },
      responses: { 200: json(z.object({ token: AppTokenView }), 'the token'), ...ERRORS },
    }),
    async (c) => {
      const token = await services.appTokens.get(
        c.get('principal'),
        c.req.valid('param').token_uuid,
      );
      return c.json({ token: appTokenView(token) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/user/apptoken/{token_uuid}',
      tags: ['user'],
      summary: 'Revoke an app-specific token',
      request: { params: TokenParams },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      await services.appTokens.revoke(c.get('principal'), c.req.valid('param').token_uuid);
      return c.body(null, 204);
    },
  );

  const SuperuserUser = z.object({
    username: z.string(),
    email: z.string().nullable(),
    super_user: z.boolean(),
  });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/superuser/users',
      tags: ['superuser'],
      summary: 'List users (superusers only)',
      request: { query: z.object({ next_page: z.string().optional() }) },
      responses: {
        200: json(
          z.object({ users: z.array(SuperuserUser), next_page: z.string().optional() }),
          'users',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const superusers = new Set(services.access.deps.options.superusers);
      const { items, next_page } = await namesPage(c.req.valid('query').next_page, (after, limit) =>
        services.users.list(c.get('principal'), after, limit),
      );
      const users = items.map((a) => ({
        username: a.name,
        email: a.email,
        super_user: superusers.has(a.name),
      }));
      return c.json({ users, ...next_page }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/superuser/organizations',
      tags: ['superuser'],
      summary: 'List organizations (superusers only)',
      request: { query: z.object({ next_page: z.string().optional() }) },
      responses: {
        200: json(
          z.object({
            organizations: z.array(
              z.object({ name: z.string(), email: z.string().nullable(), avatar: z.unknown() }),
            ),
            next_page: z.string().optional(),
          }),
          'organizations',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const { items, next_page } = await namesPage(c.req.valid('query').next_page, (after, limit) =>
        services.organizations.listAll(c.get('principal'), after, limit),
      );
      const organizations = items.map((a) => ({
        name: a.name,
        email: a.email,
        avatar: avatar(a.name, 'org'),
      }));
      return c.json({ organizations, ...next_page }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/superuser/users',
      tags: ['superuser'],
      summary: 'Create a user with a generated password (superusers only)',
      request: {
        body: jsonBody(z.strictObject({ username: z.string(), email: z.string().optional() })),
      },
      responses: {
        200: json(
          z.object({ username: z.string(), email: z.string().nullable(), password: z.string() }),
          'the user and its password, shown once',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const { username, email } = c.req.valid('json');
      const { account, password } = await services.users.createBySuperuser(
        c.get('principal'),
        username,
        email ?? null,
      );
      return c.json({ username: account.name, email: account.email, password }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/superuser/users/{username}',
      tags: ['superuser'],
      summary: 'Delete a user (superusers only)',
      request: { params: UserParams },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      await services.users.deleteBySuperuser(c.get('principal'), c.req.valid('param').username);
      return c.body(null, 204);
    },
  );
}
