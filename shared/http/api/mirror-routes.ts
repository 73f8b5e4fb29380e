import { createRoute, z } from '@hono/zod-openapi';
import type { MirrorChanges, MirrorView } from '../../access/mirrors.js';
import { accessError } from '../../errors/access-error.js';
import type { ApiApp, ApiServices } from './api-env.js';
import { ERRORS, json, jsonBody, noContent, repositoryName } from './route-helpers.js';
import { RepositoryParams } from './schemas.js';

const Proxy = z.strictObject({
  https_proxy: z.string().nullable().optional(),
  http_proxy: z.string().nullable().optional(),
  no_proxy: z.string().nullable().optional(),
});
const RootRule = z.strictObject({
  rule_kind: z.literal('tag_glob_csv'),
  rule_value: z
    .array(z.string())
    .openapi({ description: 'Tags or shell-style globs (`*`, `?`, `[a-z]`) to mirror' }),
});
const MirrorFields = {
  is_enabled: z.boolean().optional(),
  mirror_type: z.literal('PULL').optional(),
  external_reference: z
    .string()
    .optional()
    .openapi({ description: 'host[:port]/path of the upstream repository, e.g. quay.io/org/repo' }),
  external_registry_username: z.string().nullable().optional(),
  external_registry_password: z
    .string()
    .nullable()
    .optional()
    .openapi({ description: 'Stored encrypted; never returned' }),
  sync_interval: z
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: 'Seconds between syncs' }),
  sync_start_date: z
    .string()
    .optional()
    .openapi({ description: 'When the first sync is due, e.g. 2026-01-01T00:00:00Z' }),
  robot_username: z
    .string()
    .optional()
    .openapi({ description: 'The robot (namespace+name) that alone writes to the mirror' }),
  root_rule: RootRule.optional(),
  external_registry_config: z
    .strictObject({ verify_tls: z.boolean().optional(), proxy: Proxy.optional() })
    .optional(),
};
const MirrorBody = z.strictObject(MirrorFields);
const MirrorViewSchema = z.object({
  is_enabled: z.boolean(),
  mirror_type: z.literal('PULL'),
  external_reference: z.string(),
  external_registry_username: z.string().nullable(),
  external_registry_config: z.object({ verify_tls: z.boolean(), proxy: Proxy }),
  sync_interval: z.number().int(),
  sync_start_date: z.string().openapi({ description: 'When the next sync is due' }),
  sync_expiration_date: z.string().nullable(),
  sync_retries_remaining: z.number().int(),
  sync_status: z.enum(['NEVER_RUN', 'SYNC_NOW', 'SYNCING', 'SUCCESS', 'FAIL', 'CANCEL']),
  root_rule: RootRule,
  robot_username: z.string().nullable(),
  last_sync_date: z.string().nullable().openapi({ description: 'When the last sync ended' }),
  last_sync_error: z.string().nullable().openapi({ description: 'Why the last sync failed' }),
});

/** Quay's date format: second precision, UTC. */
const quayDate = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function parseDate(value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/.test(
    value,
  )
    ? Date.parse(value)
    : Number.NaN;
  if (Number.isNaN(ms)) {
    throw accessError('invalid_request', 'Incorrect DateTime format for sync_start_date.');
  }
  return ms;
}

function toChanges(body: z.infer<typeof MirrorBody>): MirrorChanges {
  const changes: MirrorChanges = {};
  if (body.is_enabled !== undefined) changes.isEnabled = body.is_enabled;
  if (body.external_reference !== undefined) {
    if (body.external_reference.trim() === '') {
      throw accessError('invalid_request', 'Empty string is an invalid repository location.');
    }
    changes.externalReference = body.external_reference;
  }
  if (body.external_registry_username !== undefined) {
    changes.username = body.external_registry_username;
  }
  if (body.external_registry_password !== undefined) {
    changes.password = body.external_registry_password;
  }
  if (body.sync_interval !== undefined) changes.syncIntervalS = body.sync_interval;
  if (body.sync_start_date !== undefined) changes.syncStartMs = parseDate(body.sync_start_date);
  if (body.robot_username !== undefined) changes.robot = body.robot_username;
  if (body.root_rule !== undefined) changes.globs = body.root_rule.rule_value;
  const config = body.external_registry_config;
  if (config?.verify_tls !== undefined) changes.verifyTls = config.verify_tls;
  if (config?.proxy !== undefined) changes.proxy = config.proxy;
  return changes;
}

const view = (m: MirrorView): z.infer<typeof MirrorViewSchema> => ({
  is_enabled: m.isEnabled,
  mirror_type: 'PULL',
  external_reference: m.externalReference,
  external_registry_username: m.username,
  external_registry_config: {
    verify_tls: m.verifyTls,
    proxy: {
      http_proxy: m.proxy?.http_proxy ?? null,
      https_proxy: m.proxy?.https_proxy ?? null,
      no_proxy: m.proxy?.no_proxy ?? null,
    },
  },
  sync_interval: m.syncIntervalS,
  sync_start_date: quayDate(m.syncStartMs),
  sync_expiration_date:
    m.status === 'SYNCING' && m.syncExpirationMs !== null ? quayDate(m.syncExpirationMs) : null,
  sync_retries_remaining: m.retriesRemaining,
  sync_status: m.status,
  root_rule: { rule_kind: 'tag_glob_csv', rule_value: m.globs },
  robot_username: m.robotName,
  last_sync_date: m.lastSyncMs === null ? null : quayDate(m.lastSyncMs),
  last_sync_error: m.lastError,
});

/** Quay's repository mirror API: configuration, rules, sync now and cancel. */
export function registerMirrorRoutes(app: ApiApp, services: ApiServices): void {
  const mirrors = services.mirrors;
  const tags = ['mirror'];
  const path = '/repository/{namespace}/{repository}/mirror';
  const params = RepositoryParams;

  app.openapi(
    createRoute({
      method: 'get',
      path,
      tags,
      summary: "The repository's mirror configuration and sync status (administrators)",
      request: { params },
      responses: { 200: json(MirrorViewSchema, 'the mirror'), ...ERRORS },
    }),
    async (c) => c.json(view(await mirrors.get(c.get('principal'), repositoryName(c))), 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path,
      tags,
      summary: 'Make the repository a mirror of an upstream repository; it enters state MIRROR',
      request: { params, body: jsonBody(MirrorBody) },
      responses: {
        201: { description: 'created' },
        409: json(z.object({}), 'already a mirror'),
        ...ERRORS,
      },
    }),
    async (c) => {
      const body = MirrorBody.parse(await c.req.json());
      await mirrors.create(c.get('principal'), repositoryName(c), toChanges(body));
      return c.body(null, 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path,
      tags,
      summary: 'Change the mirror configuration; absent fields stay as they are',
      request: { params, body: jsonBody(MirrorBody) },
      responses: { 201: { description: 'changed' }, ...ERRORS },
    }),
    async (c) => {
      const body = MirrorBody.parse(await c.req.json());
      await mirrors.update(c.get('principal'), repositoryName(c), toChanges(body));
      return c.body(null, 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: `${path}/rules`,
      tags,
      summary: "Replace the mirror's tag rule",
      request: { params, body: jsonBody(RootRule) },
      responses: { 201: { description: 'changed' }, ...ERRORS },
    }),
    async (c) => {
      const rule = RootRule.parse(await c.req.json());
      await mirrors.setRules(c.get('principal'), repositoryName(c), rule.rule_value);
      return c.body(null, 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: `${path}/sync-now`,
      tags,
      summary: 'Sync at the next scheduler tick instead of waiting for the interval',
      request: { params },
      responses: { 204: noContent, 409: json(z.object({}), 'a sync is running'), ...ERRORS },
    }),
    async (c) => {
      await mirrors.syncNow(c.get('principal'), repositoryName(c));
      return c.body(null, 204);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: `${path}/sync-cancel`,
      tags,
      summary: 'Stop a running or requested sync; the worker stops before its next tag',
      request: { params },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      await mirrors.cancel(c.get('principal'), repositoryName(c));
      return c.body(null, 204);
    },
  );
}
