import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireSuperuser, requireUser } from '../../access/users.js';
import type { ApiApp, ApiEnv, ApiServices } from './api-env.js';
import { ERRORS, json, jsonBody, noContent } from './route-helpers.js';
import { limitView, LimitView, quotaView, QuotaView } from './quota-views.js';
import { OrgParams } from './schemas.js';

const RegistrySizeView = z.object({
  size_bytes: z.number().int(),
  last_ran: z.number().int().nullable().openapi({ description: 'seconds since the epoch' }),
  queued: z.boolean(),
  running: z.boolean(),
});
const QuotaBody = z.strictObject({
  limit_bytes: z.number().int().positive(),
  // Quay's UI sends a human-readable copy along; the bytes are what counts.
  limits: z.string().optional(),
});
const LimitBody = z.strictObject({
  type: z.enum(['Warning', 'Reject']),
  threshold_percent: z.number().int().min(1).max(100),
  limit_bytes: z.number().int().optional(),
});
const LimitChange = z.strictObject({
  type: z.enum(['Warning', 'Reject']).optional(),
  threshold_percent: z.number().int().min(1).max(100).optional(),
  limit_bytes: z.number().int().optional(),
});

const id = (what: string) =>
  z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: what, in: 'path' } });
const QuotaId = z.object({ quota_id: id('quota_id') });
const LimitId = QuotaId.extend({ limit_id: id('limit_id') });
const NamespaceParams = z.object({
  namespace: z.string().openapi({ param: { name: 'namespace', in: 'path' } }),
});

/**
 * Quay's quota endpoints: an organization's (`/organization/{orgname}/quota`,
 * changed by superusers, read by members), the caller's own
 * (`/user/quota`, read-only), the superuser's view of any namespace, and
 * the registry's total (`/superuser/registrysize`).
 */
export function registerQuotaRoutes(app: ApiApp, services: ApiServices): void {
  const quotas = services.quotas;
  const prefixes = [
    {
      path: '/organization/{orgname}/quota',
      params: OrgParams,
      writable: true,
      namespace: (c: Context<ApiEnv>) => c.req.param('orgname')!,
    },
    {
      path: '/user/quota',
      params: z.object({}),
      writable: false,
      namespace: (c: Context<ApiEnv>) => requireUser(c.get('principal'), 'user:read').account.name,
    },
  ] as const;

  for (const prefix of prefixes) {
    const tags = ['quota'];
    app.openapi(
      createRoute({
        method: 'get',
        path: prefix.path,
        tags,
        summary: 'The namespace quota, if one is set (a list of at most one)',
        request: { params: prefix.params },
        responses: { 200: json(z.array(QuotaView), 'quotas'), ...ERRORS },
      }),
      async (c) =>
        c.json((await quotas.list(c.get('principal'), prefix.namespace(c))).map(quotaView), 200),
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: `${prefix.path}/{quota_id}`,
        tags,
        summary: 'One quota',
        request: { params: prefix.params.extend(QuotaId.shape) },
        responses: { 200: json(QuotaView, 'the quota'), ...ERRORS },
      }),
      async (c) => {
        const quota = await quotas.get(
          c.get('principal'),
          prefix.namespace(c),
          c.req.valid('param').quota_id,
        );
        return c.json(quotaView(quota), 200);
      },
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: `${prefix.path}/{quota_id}/limit`,
        tags,
        summary: "The quota's Warning and Reject limits",
        request: { params: prefix.params.extend(QuotaId.shape) },
        responses: { 200: json(z.array(LimitView), 'limits'), ...ERRORS },
      }),
      async (c) => {
        const limits = await quotas.limits(
          c.get('principal'),
          prefix.namespace(c),
          c.req.valid('param').quota_id,
        );
        return c.json(limits.map(limitView), 200);
      },
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: `${prefix.path}/{quota_id}/limit/{limit_id}`,
        tags,
        summary: 'One limit',
        request: { params: prefix.params.extend(LimitId.shape) },
        responses: { 200: json(LimitView, 'the limit'), ...ERRORS },
      }),
      async (c) => {
        const { quota_id, limit_id } = c.req.valid('param');
        const limit = await quotas.limit(
          c.get('principal'),
          prefix.namespace(c),
          quota_id,
          limit_id,
        );
        return c.json(limitView(limit), 200);
      },
    );
    if (!prefix.writable) continue;
    registerQuotaChanges(app, services, prefix.path, prefix.params, prefix.namespace);
  }

  for (const kind of ['organization', 'users'] as const) {
    registerQuotaChanges(
      app,
      services,
      `/superuser/${kind}/{namespace}/quota`,
      NamespaceParams,
      (c) => c.req.param('namespace')!,
      true,
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/superuser/registrysize',
      tags: ['superuser'],
      summary: "The registry's total size, each blob counted once (superusers)",
      responses: { 200: json(RegistrySizeView, 'the size'), ...ERRORS },
    }),
    async (c) => {
      const size = await quotas.registrySize(c.get('principal'));
      return c.json(
        {
          size_bytes: size.sizeBytes,
          last_ran: size.lastRanMs === null ? null : Math.floor(size.lastRanMs / 1000),
          queued: size.queued,
          running: size.running,
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/superuser/registrysize',
      tags: ['superuser'],
      summary: 'Queue a computation of the registry size for the quota worker (superusers)',
      responses: { 201: json(z.string(), 'queued'), ...ERRORS },
    }),
    async (c) => {
      await quotas.queueRegistrySize(c.get('principal'));
      return c.json('Created', 201);
    },
  );
}

/** Creating, changing and deleting quotas and limits: superusers only, as in Quay. */
function registerQuotaChanges<P extends z.ZodObject>(
  app: ApiApp,
  services: ApiServices,
  path: string,
  params: P,
  namespace: (c: Context<ApiEnv>) => string,
  listToo = false,
): void {
  const quotas = services.quotas;
  const tags = ['quota'];
  const withQuota = params.extend(QuotaId.shape);
  const withLimit = params.extend(LimitId.shape);
  const quotaId = (c: Context<ApiEnv>) => Number(c.req.param('quota_id'));
  const limitId = (c: Context<ApiEnv>) => Number(c.req.param('limit_id'));

  if (listToo) {
    app.openapi(
      createRoute({
        method: 'get',
        path,
        tags,
        summary: "A namespace's quota (superusers)",
        request: { params },
        responses: { 200: json(z.array(QuotaView), 'quotas'), ...ERRORS },
      }),
      async (c) => {
        requireSuperuser(c.get('principal'));
        return c.json((await quotas.list(c.get('principal'), namespace(c))).map(quotaView), 200);
      },
    );
  }
  app.openapi(
    createRoute({
      method: 'post',
      path,
      tags,
      summary: 'Set the namespace quota (superusers)',
      request: { params, body: jsonBody(QuotaBody) },
      responses: { 201: json(z.string(), 'created'), ...ERRORS },
    }),
    async (c) => {
      const body = QuotaBody.parse(await c.req.json());
      await quotas.create(c.get('principal'), namespace(c), body.limit_bytes);
      return c.json('Created', 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: `${path}/{quota_id}`,
      tags,
      summary: 'Change the quota (superusers)',
      request: { params: withQuota, body: jsonBody(QuotaBody) },
      responses: { 200: json(QuotaView, 'the quota'), ...ERRORS },
    }),
    async (c) => {
      const body = QuotaBody.parse(await c.req.json());
      const quota = await quotas.update(
        c.get('principal'),
        namespace(c),
        quotaId(c),
        body.limit_bytes,
      );
      return c.json(quotaView(quota), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: `${path}/{quota_id}`,
      tags,
      summary: 'Remove the quota and its limits (superusers)',
      request: { params: withQuota },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      await quotas.delete(c.get('principal'), namespace(c), quotaId(c));
      return c.body(null, 204);
    },
  );
  if (listToo) return;
  app.openapi(
    createRoute({
      method: 'post',
      path: `${path}/{quota_id}/limit`,
      tags,
      summary: 'Add a Warning or Reject limit at a percentage of the quota (superusers)',
      request: { params: withQuota, body: jsonBody(LimitBody) },
      responses: { 201: json(z.string(), 'created'), ...ERRORS },
    }),
    async (c) => {
      const body = LimitBody.parse(await c.req.json());
      await quotas.addLimit(
        c.get('principal'),
        namespace(c),
        quotaId(c),
        body.type,
        body.threshold_percent,
      );
      return c.json('Created', 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: `${path}/{quota_id}/limit/{limit_id}`,
      tags,
      summary: 'Change a limit (superusers)',
      request: { params: withLimit, body: jsonBody(LimitChange) },
      responses: { 200: json(LimitView, 'the limit'), ...ERRORS },
    }),
    async (c) => {
      const body = LimitChange.parse(await c.req.json());
      const limit = await quotas.updateLimit(
        c.get('principal'),
        namespace(c),
        quotaId(c),
        limitId(c),
        {
          kind: body.type,
          thresholdPercent: body.threshold_percent,
        },
      );
      return c.json(limitView(limit), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: `${path}/{quota_id}/limit/{limit_id}`,
      tags,
      summary: 'Remove a limit (superusers)',
      request: { params: withLimit },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      await quotas.deleteLimit(c.get('principal'), namespace(c), quotaId(c), limitId(c));
      return c.body(null, 204);
    },
  );
}
