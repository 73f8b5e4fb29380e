import { createRoute, z } from '@hono/zod-openapi';
import { searchEntities } from '../../access/entities.js';
import type { AccountRecord } from '../../ports/identity-store.js';
import type { ApiApp, ApiServices } from './api-env.js';
import { ERRORS, json } from './route-helpers.js';
import { avatar } from './views.js';

/** Quay's page size and page limit for repository search (SEARCH_RESULTS_PER_PAGE, SEARCH_MAX_RESULT_PAGE_COUNT). */
const PER_PAGE = 10;
const MAX_PAGE = 10;
const REPOSITORY_SCORE = 4;

const EntityView = z.object({
  title: z.enum(['org', 'user']),
  kind: z.enum(['organization', 'user']),
  avatar: z.unknown(),
  name: z.string(),
  score: z.number(),
  href: z.string(),
});
const RepositoryResult = z
  .object({
    kind: z.literal('repository'),
    title: z.literal('repo'),
    namespace: EntityView,
    name: z.string(),
    description: z.string(),
    is_public: z.boolean(),
    score: z.number(),
    href: z.string(),
  })
  .openapi('RepositorySearchResult');

function entityView(account: AccountRecord) {
  const organization = account.kind === 'organization';
  return {
    title: organization ? ('org' as const) : ('user' as const),
    kind: organization ? ('organization' as const) : ('user' as const),
    avatar: avatar(account.name, organization ? 'org' : 'user'),
    name: account.name,
    score: 1,
    href: `/${organization ? 'organization' : 'user'}/${account.name}`,
  };
}

/**
 * Quay's searches: `GET /find/repositories` (repositories the caller can see
 * whose name or description holds the query) and `GET /entities/{prefix}`.
 */
export function registerSearchRoutes(app: ApiApp, services: ApiServices): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/find/repositories',
      tags: ['search'],
      summary: 'Repositories the caller can see whose name or description holds the query',
      request: {
        query: z.object({
          query: z.string().max(256).default(''),
          page: z.coerce.number().int().default(1),
        }),
      },
      responses: {
        200: json(
          z.object({
            results: z.array(RepositoryResult),
            has_additional: z.boolean(),
            page: z.number().int(),
            page_size: z.number().int(),
            start_index: z.number().int(),
          }),
          'matching repositories',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = Math.min(Math.max(1, q.page), MAX_PAGE);
      const offset = (page - 1) * PER_PAGE;
      const found = await services.repositories.list(c.get('principal'), {
        publicOnly: false,
        contains: q.query,
        offset,
        limit: PER_PAGE + 1,
      });
      const shown = found.slice(0, PER_PAGE);
      const namespaces = new Map<number, AccountRecord>();
      for (const id of new Set(shown.map((r) => r.namespaceId))) {
        if (id === null) continue;
        const account = await services.access.deps.store.findAccountById(id);
        if (account) namespaces.set(id, account);
      }
      const results = shown.flatMap((r) => {
        const namespace = r.namespaceId === null ? undefined : namespaces.get(r.namespaceId);
        if (!namespace) return [];
        const name = r.name.slice(namespace.name.length + 1);
        return [
          {
            kind: 'repository' as const,
            title: 'repo' as const,
            namespace: entityView(namespace),
            name,
            description: r.description,
            is_public: r.visibility === 'public',
            score: REPOSITORY_SCORE,
            href: `/repository/${r.name}`,
          },
        ];
      });
      return c.json(
        {
          results,
          has_additional: found.length > PER_PAGE,
          page,
          page_size: PER_PAGE,
          start_index: offset,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/entities/{prefix}',
      tags: ['search'],
      summary: 'Users, robots and teams whose names start with a prefix, for permission pickers',
      request: {
        params: z.object({
          prefix: z
            .string()
            .max(256)
            .openapi({ param: { name: 'prefix', in: 'path' } }),
        }),
        query: z.object({
          namespace: z.string().default(''),
          includeTeams: z.enum(['true', 'false']).default('false'),
          includeOrgs: z.enum(['true', 'false']).default('false'),
        }),
      },
      responses: {
        200: json(
          z.object({
            results: z.array(
              z.object({
                name: z.string(),
                kind: z.enum(['user', 'team', 'org']),
                is_robot: z.boolean().optional(),
                is_org_member: z.boolean().optional(),
                avatar: z.unknown(),
              }),
            ),
          }),
          'matching entities',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const found = await searchEntities(
        services.access,
        c.get('principal'),
        c.req.valid('param').prefix,
        {
          namespace: q.namespace,
          includeTeams: q.includeTeams === 'true',
          includeOrgs: q.includeOrgs === 'true',
        },
      );
      const results = [
        ...found.teams.map((t) => ({
          name: t.name,
          kind: 'team' as const,
          is_org_member: true,
          avatar: avatar(t.name, 'team'),
        })),
        ...found.accounts.map(({ account, isOrgMember }) => ({
          name: account.name,
          kind: 'user' as const,
          is_robot: account.kind === 'robot',
          avatar: avatar(account.name, account.kind === 'robot' ? 'robot' : 'user'),
          ...(isOrgMember === null ? {} : { is_org_member: isOrgMember }),
        })),
        ...(found.organization
          ? [
              {
                name: found.organization.name,
                kind: 'org' as const,
                is_org_member: true,
                avatar: avatar(found.organization.name, 'org'),
              },
            ]
          : []),
      ];
      return c.json({ results }, 200);
    },
  );
}
