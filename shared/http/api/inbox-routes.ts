import { createRoute, z } from '@hono/zod-openapi';
import type { AuthorizedEmailView } from '../../access/authorized-emails.js';
import type { InboxEntry } from '../../ports/inbox-store.js';
import { escapeHtml } from '../../notifications/events.js';
import { API_PREFIX } from '../app.js';
import type { ApiApp, ApiServices } from './api-env.js';
import { ERRORS, json, jsonBody, repositoryName } from './route-helpers.js';
import { RepositoryParams, UuidParams } from './schemas.js';
import { quayDate } from './views.js';

const InboxView = z
  .object({
    id: z.string(),
    organization: z.string().nullable(),
    kind: z.string().openapi({ description: 'The event that raised it' }),
    created: z.string(),
    metadata: z.record(z.string(), z.unknown()).openapi({ description: 'The event data' }),
    dismissed: z.boolean(),
  })
  .openapi('UserNotification');

const inboxView = (e: InboxEntry): z.infer<typeof InboxView> => ({
  id: e.uuid,
  organization: e.organization,
  kind: e.kind,
  created: quayDate(e.createdAtMs),
  metadata: e.metadata,
  dismissed: e.dismissed,
});

const AuthorizedEmailSchema = z
  .object({
    email: z.string(),
    repository: z.string(),
    namespace: z.string(),
    confirmed: z.boolean(),
  })
  .openapi('AuthorizedEmail');

const emailView = (e: AuthorizedEmailView): z.infer<typeof AuthorizedEmailSchema> => {
  const slash = e.repository.indexOf('/');
  return {
    email: e.email,
    repository: e.repository.slice(slash + 1),
    namespace: e.repository.slice(0, slash),
    confirmed: e.confirmed,
  };
};

const EmailParams = RepositoryParams.extend({
  email: z
    .string()
    .min(3)
    .max(254)
    .openapi({ param: { name: 'email', in: 'path' } }),
});

/**
 * In-app notifications (Quay's `/user/notifications`), and the e-mail
 * addresses a repository's notifications may write to, with the
 * confirmation link mailed to them (`/authrepoemail?code=`).
 */
export function registerInboxRoutes(app: ApiApp, services: ApiServices): void {
  const tags = ['notification'];
  app.openapi(
    createRoute({
      method: 'get',
      path: '/user/notifications',
      tags,
      summary:
        "The user's undismissed in-app notifications, and their organizations', newest first",
      request: {
        query: z.object({
          page: z.coerce.number().int().min(0).optional().openapi({ description: 'from 0' }),
          limit: z.coerce.number().int().min(1).max(100).optional().openapi({
            description: 'default 5, as Quay',
          }),
        }),
      },
      responses: {
        200: json(
          z.object({ notifications: z.array(InboxView), additional: z.boolean() }),
          'notifications',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const { entries, additional } = await services.inbox.list(
        c.get('principal'),
        Number(c.req.query('page') ?? 0),
        Number(c.req.query('limit') ?? 5),
      );
      return c.json({ notifications: entries.map(inboxView), additional }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/user/notifications/{uuid}',
      tags,
      summary: 'One in-app notification',
      request: { params: UuidParams },
      responses: { 200: json(InboxView, 'the notification'), ...ERRORS },
    }),
    async (c) =>
      c.json(inboxView(await services.inbox.get(c.get('principal'), c.req.param('uuid'))), 200),
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/user/notifications/{uuid}',
      tags,
      summary: 'Dismiss an in-app notification (or bring it back)',
      request: {
        params: UuidParams,
        body: jsonBody(z.strictObject({ dismissed: z.boolean().optional() })),
      },
      responses: { 200: json(InboxView, 'the notification'), ...ERRORS },
    }),
    async (c) => {
      const body = (await c.req.json()) as { dismissed?: boolean };
      const entry = await services.inbox.setDismissed(
        c.get('principal'),
        c.req.param('uuid'),
        body.dismissed ?? false,
      );
      return c.json(inboxView(entry), 200);
    },
  );

  const emailTags = ['repository'];
  app.openapi(
    createRoute({
      method: 'get',
      path: '/repository/{namespace}/{repository}/authorizedemail/{email}',
      tags: emailTags,
      summary: 'Whether an e-mail address may receive this repository’s notifications',
      request: { params: EmailParams },
      responses: { 200: json(AuthorizedEmailSchema, 'the address'), ...ERRORS },
    }),
    async (c) => {
      const found = await services.authorizedEmails.get(
        c.get('principal'),
        repositoryName(c),
        c.req.param('email'),
      );
      return c.json(emailView(found), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/repository/{namespace}/{repository}/authorizedemail/{email}',
      tags: emailTags,
      summary: 'Mail a confirmation link to an address, so notifications may write to it',
      request: { params: EmailParams },
      responses: { 200: json(AuthorizedEmailSchema, 'the address'), ...ERRORS },
    }),
    async (c) => {
      const requested = await services.authorizedEmails.request(
        c.get('principal'),
        repositoryName(c),
        c.req.param('email'),
        (code) =>
          `${c.get('publicOrigin')}${API_PREFIX}/authrepoemail?code=${encodeURIComponent(code)}`,
      );
      return c.json(emailView(requested), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/authrepoemail',
      tags: emailTags,
      summary:
        'Confirm an address by following the mailed link (no credentials needed: the code is one)',
      request: { query: z.object({ code: z.string().min(1).max(128) }) },
      responses: {
        200: { content: { 'text/html': { schema: z.string() } }, description: 'confirmed' },
        ...ERRORS,
      },
    }),
    async (c) => {
      const confirmed = await services.authorizedEmails.confirm(c.req.query('code')!);
      return c.html(
        `<!doctype html><meta charset="utf-8"><title>Address confirmed</title>` +
          `<p>${escapeHtml(confirmed.email)} may now receive the notifications of ` +
          `<b>${escapeHtml(confirmed.repository)}</b>.</p>`,
        200,
      );
    },
  );
}
