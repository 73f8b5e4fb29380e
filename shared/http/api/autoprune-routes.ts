import { z } from '@hono/zod-openapi';
import type { PolicyScope } from '../../access/autoprune-policies.js';
import { accessError } from '../../errors/access-error.js';
import type { PolicyRecord } from '../../ports/prune-store.js';
import type { PrunePolicy } from '../../registry/prune-policy.js';
import type { ApiApp, ApiServices } from './api-env.js';
import { registerPolicyRoutes } from './policy-routes.js';
import { repositoryName } from './route-helpers.js';
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
  registerPolicyRoutes<PolicyScope, PrunePolicy, PolicyRecord>(app, {
    tag: 'policy',
    noun: 'auto-prune',
    prefixes: [
      {
        path: '/organization/{orgname}/autoprunepolicy',
        params: OrgParams,
        scope: (c) => ({ kind: 'organization', name: c.req.param('orgname')! }),
      },
      { path: '/user/autoprunepolicy', params: z.object({}), scope: () => ({ kind: 'user' }) },
      {
        path: '/repository/{namespace}/{repository}/autoprunepolicy',
        params: RepositoryParams,
        scope: (c) => ({ kind: 'repository', name: repositoryName(c) }),
      },
    ],
    body: PolicyBody,
    view: PolicyView,
    toPolicy: (body) => toPolicy(body as z.infer<typeof PolicyBody>),
    toView: policyView,
    service: services.autoprune,
    createdNote: 'the prune worker applies it from its next run',
  });
}
