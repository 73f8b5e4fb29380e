import { z } from '@hono/zod-openapi';
import type { ImmutabilityScope } from '../../access/immutability.js';
import type {
  ImmutabilityPolicy,
  ImmutabilityPolicyRecord,
} from '../../ports/immutability-store.js';
import type { ApiApp, ApiServices } from './api-env.js';
import { registerPolicyRoutes } from './policy-routes.js';
import { repositoryName } from './route-helpers.js';
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
  registerPolicyRoutes<ImmutabilityScope, ImmutabilityPolicy, ImmutabilityPolicyRecord>(app, {
    tag: 'immutability',
    noun: 'immutability',
    prefixes: [
      {
        path: '/organization/{orgname}/immutabilitypolicy',
        params: OrgParams,
        scope: (c) => ({ kind: 'organization', name: c.req.param('orgname')! }),
      },
      {
        path: '/repository/{namespace}/{repository}/immutabilitypolicy',
        params: RepositoryParams,
        scope: (c) => ({ kind: 'repository', name: repositoryName(c) }),
      },
    ],
    body: PolicyBody,
    view: PolicyView,
    toPolicy: (body) => body as ImmutabilityPolicy,
    toView: policyView,
    service: services.immutability,
    createdNote: 'it covers existing tags at once',
  });
}
