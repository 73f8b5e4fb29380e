import { createRoute, z } from '@hono/zod-openapi';
import { readAudit } from '../../access/audit.js';
import { requireSuperuser, requireUser } from '../../access/users.js';
import { accessError } from '../../errors/access-error.js';
import type { AuditEntry } from '../../ports/identity-store.js';
import type { ApiApp, ApiServices } from './api-env.js';
import { decodePage, encodePage, ERRORS, json, repositoryName } from './route-helpers.js';
import { LogsPage, LogsQuery, OrgParams, RepositoryParams } from './schemas.js';
import { avatar, quayDate } from './views.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Quay's `MM/DD/YYYY` (UTC) or ISO 8601; an end date names the whole day. */
function parseTime(value: string | undefined, fallback: number, endOfDay: boolean): number {
  if (value === undefined) return fallback;
  const quay = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value);
  const ms = quay
    ? Date.UTC(Number(quay[3]), Number(quay[1]) - 1, Number(quay[2]))
    : Date.parse(value);
  if (Number.isNaN(ms))
    throw accessError('invalid_request', `invalid date ${value}; use MM/DD/YYYY`);
  return quay && endOfDay ? ms + DAY_MS : ms;
}

function logView(entry: AuditEntry) {
  return {
    kind: entry.kind,
    metadata: entry.metadata,
    ip: entry.ip,
    datetime: quayDate(entry.createdAtMs),
    ...(entry.performer
      ? {
          performer: {
            kind: 'user',
            name: entry.performer.name,
            is_robot: entry.performer.name.includes('+'),
            avatar: avatar(entry.performer.name, 'user'),
          },
        }
      : {}),
    ...(entry.namespace
      ? {
          namespace: {
            kind: 'org',
            name: entry.namespace.name,
            avatar: avatar(entry.namespace.name, 'org'),
          },
        }
      : {}),
  };
}

export function registerLogRoutes(app: ApiApp, services: ApiServices): void {
  const { store, clock } = services.access.deps;

  async function page(
    scope: { repositoryId?: number; namespaceId?: number; performerId?: number },
    query: z.infer<typeof LogsQuery>,
  ) {
    const now = clock.now();
    const fromMs = parseTime(query.starttime, now - 7 * DAY_MS, false);
    const toMs = parseTime(query.endtime, now + 1, true);
    const before = decodePage(query.next_page);
    // What this process still holds back is shown too.
    await services.access.audit.flush();
    const result = await readAudit(store, {
      ...scope,
      fromMs,
      toMs,
      ...(before === undefined ? {} : { beforeId: Number(before) }),
    });
    return {
      start_time: quayDate(fromMs),
      end_time: quayDate(toMs),
      logs: result.entries.map(logView),
      ...(result.nextBeforeId === undefined ? {} : { next_page: encodePage(result.nextBeforeId) }),
    };
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/repository/{namespace}/{repository}/logs',
      tags: ['logs'],
      summary: "A repository's audit log, newest first (admin)",
      request: { params: RepositoryParams, query: LogsQuery },
      responses: { 200: json(LogsPage, 'log entries'), ...ERRORS },
    }),
    async (c) => {
      const view = await services.repositories.requireAdmin(c.get('principal'), repositoryName(c));
      return c.json(await page({ repositoryId: view.repository.id }, c.req.valid('query')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/organization/{orgname}/logs',
      tags: ['logs'],
      summary: "An organization's audit log, newest first (admins)",
      request: { params: OrgParams, query: LogsQuery },
      responses: { 200: json(LogsPage, 'log entries'), ...ERRORS },
    }),
    async (c) => {
      const organization = await services.organizations.requireAdmin(
        c.get('principal'),
        c.req.valid('param').orgname,
      );
      return c.json(await page({ namespaceId: organization.id }, c.req.valid('query')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/user/logs',
      tags: ['logs'],
      summary: "The audit log of the calling user's namespace, newest first",
      request: { query: LogsQuery },
      responses: { 200: json(LogsPage, 'log entries'), ...ERRORS },
    }),
    async (c) => {
      const user = requireUser(c.get('principal'), 'user:read');
      return c.json(await page({ namespaceId: user.account.id }, c.req.valid('query')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/superuser/logs',
      tags: ['logs', 'superuser'],
      summary: "The whole registry's audit log, newest first (superusers)",
      request: {
        query: LogsQuery.extend({
          performer: z.string().optional().openapi({ description: 'only what this user did' }),
        }),
      },
      responses: { 200: json(LogsPage, 'log entries'), ...ERRORS },
    }),
    async (c) => {
      requireSuperuser(c.get('principal'));
      const { performer, ...query } = c.req.valid('query');
      let performerId: number | undefined;
      if (performer !== undefined) {
        // An unknown performer did nothing: no entry matches.
        performerId = (await store.findAccount(performer))?.id ?? -1;
      }
      return c.json(await page(performerId === undefined ? {} : { performerId }, query), 200);
    },
  );
}
