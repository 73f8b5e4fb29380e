import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ImmutabilityScope } from '../../access/immutability.js';
import type { ImmutabilityPolicyRecord } from '../../ports/immutability-store.js';
import type { ApiApp, ApiEnv, ApiServices } from './api-env.js';
import { ERRORS, json, jsonBody, repositoryName } from './route-helpers.js';
import { OrgParams, RepositoryParams } from './schemas.js';

const PolicyBody = z.strictObject({
  tagPattern: z.string().openapi({ description: 'A regular expression over tag names' }),
  tagPatternMatches: z.boolean().default(true).openapi({
    description: 'true: matching tags are immutable; false: tags that do not match are',
  }),
});
const PolicyView = z
  .object({ uuid: z.string(), tagPattern: z.string(), tagPatternMatches: z.boolean() })
  .openapi('ImmutabilityPolicy');
const Uuid = z.object({
  policy_uuid: z.string().openapi({ param: { name: 'policy_uuid', in: 'path' } }),
});

const policyView = (p: ImmutabilityPolicyRecord) => ({
  uuid: p.uuid,
  tagPattern: p.tagPattern,
  tagPatternMatches: p.tagPatternMatches,
});

/**
 * Quay's immutability policies, on an organization and on one repository
 * (FEATURE_IMMUTABLE_TAGS): every tag a policy covers can be neither
 * overwritten, moved, deleted, pruned nor expired.
 */
export function registerImmutabilityRoutes(app: ApiApp, services: ApiServices): void {
  const policies = services.immutability;
  const prefixes = [
    {
      path: '/organization/{orgname}/immutabilitypolicy',
      params: OrgParams,
      scope: (c: Context<ApiEnv>): ImmutabilityScope => ({
        kind: 'organization',
        name: c.req.param('orgname')!,
      }),
    },
    {
      path: '/repository/{namespace}/{repository}/immutabilitypolicy',
      params: RepositoryParams,
      scope: (c: Context<ApiEnv>): ImmutabilityScope => ({
        kind: 'repository',
        name: repositoryName(c),
      }),
    },
  ] as const;

  for (const prefix of prefixes) {
    const tags = ['immutability'];
    const withUuid = prefix.params.extend(Uuid.shape);
    app.openapi(
      createRoute({
        method: 'get',
        path: prefix.path,
        tags,
        summary: 'List immutability policies (administrators)',
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
        summary: 'Create an immutability policy; it covers existing tags at once',
        request: { params: prefix.params, body: jsonBody(PolicyBody) },
        responses: { 201: json(z.object({ uuid: z.string() }), 'created'), ...ERRORS },
      }),
      async (c) => {
        const uuid = await policies.create(
          c.get('principal'),
          prefix.scope(c),
          c.req.valid('json'),
        );
        return c.json({ uuid }, 201);
      },
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: `${prefix.path}/{policy_uuid}`,
        tags,
        summary: 'One immutability policy',
        request: { params: withUuid },
        responses: { 200: json(PolicyView, 'the policy'), ...ERRORS },
      }),
      async (c) => {
        const uuid = c.req.param('policy_uuid')!;
        return c.json(
          policyView(await policies.get(c.get('principal'), prefix.scope(c), uuid)),
          200,
        );
      },
    );
    app.openapi(
      createRoute({
        method: 'put',
        path: `${prefix.path}/{policy_uuid}`,
        tags,
        summary: 'Replace an immutability policy',
        request: { params: withUuid, body: jsonBody(PolicyBody) },
        responses: { 204: { description: 'changed' }, ...ERRORS },
      }),
      async (c) => {
        const uuid = c.req.param('policy_uuid')!;
        await policies.update(c.get('principal'), prefix.scope(c), uuid, c.req.valid('json'));
        return c.body(null, 204);
      },
    );
    app.openapi(
      createRoute({
        method: 'delete',
        path: `${prefix.path}/{policy_uuid}`,
        tags,
        summary: 'Delete an immutability policy',
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
