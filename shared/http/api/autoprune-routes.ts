import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { PolicyScope } from '../../access/autoprune-policies.js';
import { accessError } from '../../errors/access-error.js';
import type { PolicyRecord } from '../../ports/prune-store.js';
import type { PrunePolicy } from '../../registry/prune-policy.js';
import type { ApiApp, ApiEnv, ApiServices } from './api-env.js';
import { ERRORS, json, jsonBody, repositoryName } from './route-helpers.js';
import { OrgParams, RepositoryParams } from './schemas.js';

const PolicyBody = z.strictObject({
  method: z.enum(['number_of_tags', 'creation_date']),
  value: z.union([z.number().int(), z.string()]).openapi({
    description:
      'How many tags to keep (number_of_tags), or how old a tag may get (creation_date: 7d, 2w)',
  }),
  tagPattern: z
    .string()
    .optional()
    .openapi({ description: 'Only tags matching this regular expression are pruned' }),
  tagPatternMatches: z
    .boolean()
    .optional()
    .openapi({ description: 'false: only tags NOT matching tagPattern are pruned' }),
});
const PolicyView = z.object({
  uuid: z.string(),
  method: z.enum(['number_of_tags', 'creation_date']),
  value: z.union([z.number().int(), z.string()]),
  tagPattern: z.string().optional(),
  tagPatternMatches: z.boolean().optional(),
});
const Uuid = z.object({
  policy_uuid: z.string().openapi({ param: { name: 'policy_uuid', in: 'path' } }),
});

/** Quay accepts `"10"` for a count; the stored policy is typed. */
function toPolicy(body: z.infer<typeof PolicyBody>): PrunePolicy {
  const pattern = {
    ...(body.tagPattern !== undefined ? { tagPattern: body.tagPattern } : {}),
    ...(body.tagPatternMatches !== undefined ? { tagPatternMatches: body.tagPatternMatches } : {}),
  };
  if (body.method === 'number_of_tags') {
    const value = typeof body.value === 'number' ? body.value : Number(body.value);
    if (!/^\d+$/.test(String(body.value))) {
      throw accessError('invalid_request', 'value for number_of_tags must be a whole number');
    }
    return { method: 'number_of_tags', value, ...pattern };
  }
  if (typeof body.value !== 'string') {
    throw accessError('invalid_request', 'value for creation_date must be a duration such as 2w');
  }
  return { method: 'creation_date', value: body.value, ...pattern };
}

const policyView = (p: PolicyRecord) => ({ uuid: p.uuid, ...p.policy });

/**
 * Auto-prune policies on Quay's three prefixes: an organization's, the
 * caller's own namespace, and one repository's.
 */
export function registerAutopruneRoutes(app: ApiApp, services: ApiServices): void {
  const policies = services.autoprune;
  const prefixes = [
    {
      path: '/organization/{orgname}/autoprunepolicy',
      params: OrgParams,
      scope: (c: Context<ApiEnv>): PolicyScope => ({
        kind: 'organization',
        name: c.req.param('orgname')!,
      }),
    },
    {
      path: '/user/autoprunepolicy',
      params: z.object({}),
      scope: (): PolicyScope => ({ kind: 'user' }),
    },
    {
      path: '/repository/{namespace}/{repository}/autoprunepolicy',
      params: RepositoryParams,
      scope: (c: Context<ApiEnv>): PolicyScope => ({ kind: 'repository', name: repositoryName(c) }),
    },
  ] as const;

  for (const prefix of prefixes) {
    const tags = ['policy'];
    const withUuid = prefix.params.extend(Uuid.shape);
    app.openapi(
      createRoute({
        method: 'get',
        path: prefix.path,
        tags,
        summary: 'List auto-prune policies (administrators)',
        request: { params: prefix.params },
        responses: {
          200: json(z.object({ policies: z.array(PolicyView) }), 'policies'),
          ...ERRORS,
        },
      }),
      async (c) => {
        const list = await policies.list(c.get('principal'), prefix.scope(c));
        return c.json({ policies: list.map(policyView) }, 200);
      },
    );
    app.openapi(
      createRoute({
        method: 'post',
        path: prefix.path,
        tags,
        summary: 'Create an auto-prune policy; the prune worker applies it from its next run',
        request: { params: prefix.params, body: jsonBody(PolicyBody) },
        responses: { 201: json(z.object({ uuid: z.string() }), 'created'), ...ERRORS },
      }),
      async (c) => {
        const policy = toPolicy(PolicyBody.parse(await c.req.json()));
        const uuid = await policies.create(c.get('principal'), prefix.scope(c), policy);
        return c.json({ uuid }, 201);
      },
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: `${prefix.path}/{policy_uuid}`,
        tags,
        summary: 'One auto-prune policy',
        request: { params: withUuid },
        responses: { 200: json(PolicyView, 'the policy'), ...ERRORS },
      }),
      async (c) => {
        const policy = await policies.get(
          c.get('principal'),
          prefix.scope(c),
          c.req.param('policy_uuid')!,
        );
        return c.json(policyView(policy), 200);
      },
    );
    app.openapi(
      createRoute({
        method: 'put',
        path: `${prefix.path}/{policy_uuid}`,
        tags,
        summary: 'Replace an auto-prune policy',
        request: { params: withUuid, body: jsonBody(PolicyBody) },
        responses: { 204: { description: 'changed' }, ...ERRORS },
      }),
      async (c) => {
        const policy = toPolicy(PolicyBody.parse(await c.req.json()));
        await policies.update(
          c.get('principal'),
          prefix.scope(c),
          c.req.param('policy_uuid')!,
          policy,
        );
        return c.body(null, 204);
      },
    );
    app.openapi(
      createRoute({
        method: 'delete',
        path: `${prefix.path}/{policy_uuid}`,
        tags,
        summary: 'Delete an auto-prune policy',
        request: { params: withUuid },
        responses: { 200: json(z.object({ uuid: z.string() }), 'deleted'), ...ERRORS },
      }),
      async (c) => {
        const uuid = c.req.param('policy_uuid')!;
        await policies.delete(c.get('principal'), prefix.scope(c), uuid);
        return c.json({ uuid }, 200);
      },
    );
  }
}
