import type { Principal } from '../../access/principal.js';
import { tagExpirationOf } from '../../access/tag-expiration.js';
import { createRoute, z } from '@hono/zod-openapi';
import { accessError } from '../../errors/access-error.js';
import type { RepositoryView as CoreRepositoryView } from '../../access/repository-admin.js';
import type { PermissionEntry } from '../../ports/identity-store.js';
import type { ApiApp, ApiServices } from './api-env.js';
import {
  decodePage,
  encodePage,
  ERRORS,
  json,
  jsonBody,
  noContent,
  repositoryName,
} from './route-helpers.js';
import {
  PermissionView,
  RepositoryParams,
  RepositoryRole,
  RepositoryState,
  RepositorySummary,
  RepositoryView,
  Visibility,
} from './schemas.js';
import { repositoryQuotaReportView } from './quota-views.js';
import { avatar, quayDate, repositorySummary } from './views.js';
import type { RepositoryQuotaReport } from '../../access/quotas.js';
import type { RepositoryInfo } from '../../ports/identity-store.js';

type QuotaReports = Map<number, RepositoryQuotaReport> | null;

/** A repository's summary, with its usage when quotas are managed. */
function summaryWithQuota(repository: RepositoryInfo, reports: QuotaReports) {
  const report = reports?.get(repository.id);
  return {
    ...repositorySummary(repository),
    ...(report ? { quota_report: repositoryQuotaReportView(report) } : {}),
  };
}

function repositoryView(view: CoreRepositoryView, reports: QuotaReports) {
  return {
    ...summaryWithQuota(view.repository, reports),
    is_organization: view.namespace.kind === 'organization',
    can_write: view.canWrite,
    can_admin: view.canAdmin,
  };
}

function permissionView(entry: PermissionEntry) {
  return {
    role: entry.role,
    name: entry.name,
    ...(entry.kind === 'team' ? {} : { is_robot: entry.kind === 'robot' }),
    avatar: avatar(entry.name, entry.kind),
  };
}

const PAGE_SIZE = 100;
/** Quay's limit on the tags a repository view carries. */
const MAX_VIEW_TAGS = 500;

export function registerRepositoryRoutes(app: ApiApp, services: ApiServices): void {
  const repos = services.repositories;
  const withQuota = async (view: CoreRepositoryView, principal: Principal) => ({
    ...repositoryView(view, await services.quotas.repositoryReports([view.repository])),
    is_starred: await repos.isStarred(principal, view),
    tag_expiration_s: tagExpirationOf(services.access, view.namespace),
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/repository',
      tags: ['repository'],
      summary: 'Create a repository in a namespace the caller may create in',
      request: {
        body: jsonBody(
          z.strictObject({
            namespace: z.string(),
            repository: z.string(),
            visibility: Visibility,
            description: z.string().max(4096).default(''),
            repo_kind: z.literal('image').optional(),
          }),
        ),
      },
      responses: {
        201: json(
          z.object({ namespace: z.string(), name: z.string(), kind: z.literal('image') }),
          'created',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const created = await repos.create(c.get('principal'), input);
      const { namespace, name } = repositorySummary(created);
      return c.json({ namespace, name, kind: 'image' as const }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/repository',
      tags: ['repository'],
      summary: 'Repositories the caller can see, by name, a page at a time',
      request: {
        query: z.object({
          namespace: z.string().optional(),
          public: z.enum(['true', 'false']).optional(),
          filter: z.string().max(255).optional().openapi({
            description: 'Berth: only repositories whose name or description holds this',
          }),
          next_page: z.string().optional(),
        }),
      },
      responses: {
        200: json(
          z.object({ repositories: z.array(RepositorySummary), next_page: z.string().optional() }),
          'repositories',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const rows = await repos.list(c.get('principal'), {
        namespace: query.namespace,
        publicOnly: query.public === 'true',
        after: decodePage(query.next_page),
        contains: query.filter,
        limit: PAGE_SIZE + 1,
      });
      const page = rows.slice(0, PAGE_SIZE);
      const reports = await services.quotas.repositoryReports(page);
      return c.json(
        {
          repositories: page.map((r) => summaryWithQuota(r, reports)),
          ...(rows.length > PAGE_SIZE
            ? { next_page: encodePage(page[page.length - 1]!.name) }
            : {}),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/repository/{namespace}/{repository}',
      tags: ['repository'],
      summary: 'A repository the caller can read, with its newest live tags (includeTags, as Quay)',
      request: {
        params: RepositoryParams,
        query: z.object({
          includeTags: z
            .enum(['true', 'false'])
            .default('true')
            .openapi({
              description: `the newest ${MAX_VIEW_TAGS} live tags, by name`,
            }),
        }),
      },
      responses: { 200: json(RepositoryView, 'the repository'), ...ERRORS },
    }),
    async (c) => {
      const name = repositoryName(c);
      const view = await withQuota(await repos.view(c.get('principal'), name), c.get('principal'));
      if (c.req.valid('query').includeTags === 'false') return c.json(view, 200);
      const { entries } = await services.registry.tags.list(name, {
        onlyActive: true,
        page: 1,
        limit: MAX_VIEW_TAGS,
      });
      const tags = Object.fromEntries(
        entries.map((e) => [
          e.name,
          {
            name: e.name,
            size: e.imageSize,
            last_modified: quayDate(e.startMs),
            ...(e.endMs === null ? {} : { expiration: quayDate(e.endMs) }),
            manifest_digest: e.manifestDigest,
          },
        ]),
      );
      return c.json({ ...view, tags }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/repository/{namespace}/{repository}',
      tags: ['repository'],
      summary: "Change a repository's description (write)",
      request: {
        params: RepositoryParams,
        body: jsonBody(z.strictObject({ description: z.string().max(4096) })),
      },
      responses: { 200: json(RepositoryView, 'the repository'), ...ERRORS },
    }),
    async (c) => {
      const name = repositoryName(c);
      await repos.setDescription(c.get('principal'), name, c.req.valid('json').description);
      return c.json(
        await withQuota(await repos.view(c.get('principal'), name), c.get('principal')),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/repository/{namespace}/{repository}',
      tags: ['repository'],
      summary: 'Delete a repository and its tags (admin)',
      request: { params: RepositoryParams },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      await repos.delete(c.get('principal'), repositoryName(c));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/repository/{namespace}/{repository}/changevisibility',
      tags: ['repository'],
      summary: 'Make a repository public or private (admin)',
      request: {
        params: RepositoryParams,
        body: jsonBody(z.strictObject({ visibility: Visibility })),
      },
      responses: { 200: json(z.object({ success: z.boolean() }), 'changed'), ...ERRORS },
    }),
    async (c) => {
      await repos.setVisibility(
        c.get('principal'),
        repositoryName(c),
        c.req.valid('json').visibility,
      );
      return c.json({ success: true }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/repository/{namespace}/{repository}/changestate',
      tags: ['repository'],
      summary: 'Set NORMAL, READ_ONLY or MIRROR (admin); MIRROR names the one robot that may write',
      request: {
        params: RepositoryParams,
        body: jsonBody(
          z.strictObject({ state: RepositoryState, robot_username: z.string().optional() }),
        ),
      },
      responses: { 200: json(z.object({ success: z.boolean() }), 'changed'), ...ERRORS },
    }),
    async (c) => {
      const { state, robot_username } = c.req.valid('json');
      await repos.setState(c.get('principal'), repositoryName(c), state, robot_username);
      return c.json({ success: true }, 200);
    },
  );

  for (const kind of ['user', 'team'] as const) {
    const storeKind = kind === 'user' ? 'account' : 'team';
    const delegateParam = kind === 'user' ? 'username' : 'teamname';
    const DelegateParams = RepositoryParams.extend({
      [delegateParam]: z.string().openapi({ param: { name: delegateParam, in: 'path' } }),
    });
    const delegateOf = (c: { req: { param: (key: string) => string | undefined } }) =>
      c.req.param(delegateParam)!;

    app.openapi(
      createRoute({
        method: 'get',
        path: `/repository/{namespace}/{repository}/permissions/${kind}`,
        tags: ['permission'],
        summary: `${kind === 'user' ? 'User and robot' : 'Team'} permissions on a repository (admin)`,
        request: { params: RepositoryParams },
        responses: {
          200: json(z.object({ permissions: z.record(z.string(), PermissionView) }), 'permissions'),
          ...ERRORS,
        },
      }),
      async (c) => {
        const { entries } = await repos.permissions(
          c.get('principal'),
          repositoryName(c),
          storeKind,
        );
        return c.json(
          { permissions: Object.fromEntries(entries.map((e) => [e.name, permissionView(e)])) },
          200,
        );
      },
    );

    app.openapi(
      createRoute({
        method: 'get',
        path: `/repository/{namespace}/{repository}/permissions/${kind}/{${delegateParam}}`,
        tags: ['permission'],
        summary: `One ${kind}'s permission on a repository (admin)`,
        request: { params: DelegateParams },
        responses: { 200: json(PermissionView, 'the permission'), ...ERRORS },
      }),
      async (c) => {
        const name = repositoryName(c);
        const { entries } = await repos.permissions(c.get('principal'), name, storeKind);
        const entry = entries.find((e) => e.name === delegateOf(c));
        if (!entry) throw accessError('not_found', `${delegateOf(c)} has no permission on ${name}`);
        return c.json(permissionView(entry), 200);
      },
    );

    app.openapi(
      createRoute({
        method: 'put',
        path: `/repository/{namespace}/{repository}/permissions/${kind}/{${delegateParam}}`,
        tags: ['permission'],
        summary: `Grant a ${kind} read, write or admin on a repository (admin)`,
        request: {
          params: DelegateParams,
          body: jsonBody(z.strictObject({ role: RepositoryRole })),
        },
        responses: { 200: json(PermissionView, 'the permission'), ...ERRORS },
      }),
      async (c) => {
        const { role } = c.req.valid('json');
        const delegate = delegateOf(c);
        const { account } = await repos.setPermission(
          c.get('principal'),
          repositoryName(c),
          storeKind,
          delegate,
          role,
        );
        const entryKind = kind === 'team' ? 'team' : account?.kind === 'robot' ? 'robot' : 'user';
        return c.json(permissionView({ name: delegate, role, kind: entryKind }), 200);
      },
    );

    app.openapi(
      createRoute({
        method: 'delete',
        path: `/repository/{namespace}/{repository}/permissions/${kind}/{${delegateParam}}`,
        tags: ['permission'],
        summary: `Remove a ${kind}'s permission on a repository (admin)`,
        request: { params: DelegateParams },
        responses: { 204: noContent, ...ERRORS },
      }),
      async (c) => {
        await repos.deletePermission(
          c.get('principal'),
          repositoryName(c),
          storeKind,
          delegateOf(c),
        );
        return c.body(null, 204);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/user/starred',
      tags: ['user'],
      summary: 'The repositories the caller starred (and can still read), by name',
      request: { query: z.object({ next_page: z.string().optional() }) },
      responses: {
        200: json(
          z.object({ repositories: z.array(RepositorySummary), next_page: z.string().optional() }),
          'starred repositories',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const after = decodePage(c.req.valid('query').next_page);
      const { repositories, nextAfter } = await repos.starred(c.get('principal'), after, PAGE_SIZE);
      return c.json(
        {
          repositories: repositories.map(repositorySummary),
          ...(nextAfter === undefined ? {} : { next_page: encodePage(nextAfter) }),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/user/starred',
      tags: ['user'],
      summary: 'Star a repository the caller can read',
      request: {
        body: jsonBody(z.strictObject({ namespace: z.string(), repository: z.string() })),
      },
      responses: {
        201: json(z.object({ namespace: z.string(), repository: z.string() }), 'starred'),
        ...ERRORS,
      },
    }),
    async (c) => {
      const { namespace, repository } = c.req.valid('json');
      await repos.star(c.get('principal'), `${namespace}/${repository}`, true);
      return c.json({ namespace, repository }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/user/starred/{namespace}/{repository}',
      tags: ['user'],
      summary: 'Take the star off a repository',
      request: { params: RepositoryParams },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      await repos.star(c.get('principal'), repositoryName(c), false);
      return c.body(null, 204);
    },
  );
}
