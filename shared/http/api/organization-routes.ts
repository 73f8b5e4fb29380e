import { tagExpirationOf } from '../../access/tag-expiration.js';
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, ApiServices } from './api-env.js';
import { ERRORS, json, jsonBody, noContent } from './route-helpers.js';
import {
  Avatar,
  MemberView,
  NamespacePermissions,
  OrganizationView,
  OrgParams,
  RepositoryRole,
  TeamMemberParams,
  TeamParams,
  TeamRole,
  TeamView,
} from './schemas.js';
import { namespaceQuotaReportView, quotaView } from './quota-views.js';
import { avatar, memberView, namespacePermissionsView, teamView } from './views.js';

export function registerOrganizationRoutes(app: ApiApp, services: ApiServices): void {
  const orgs = services.organizations;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/organization',
      tags: ['organization'],
      summary: 'Create an organization; the caller joins its owners team',
      request: {
        body: jsonBody(
          z.strictObject({
            name: z.string(),
            email: z.string().optional(),
            recaptcha_response: z.string().optional(),
          }),
        ),
      },
      responses: { 201: json(z.literal('Created'), 'created'), ...ERRORS },
    }),
    async (c) => {
      const { name, email } = c.req.valid('json');
      await orgs.create(c.get('principal'), name, email ?? null);
      return c.json('Created' as const, 201);
    },
  );

  const view = async (principal: Parameters<typeof orgs.view>[0], name: string) => {
    const { organization, isAdmin, isMember, teams } = await orgs.view(principal, name);
    // As Quay: an organization's quotas and usage are for its members and admins.
    const quota = isAdmin || isMember ? await services.quotas.overview(organization) : null;
    return {
      name: organization.name,
      email: isAdmin ? organization.email : null,
      avatar: avatar(organization.name, 'org'),
      is_admin: isAdmin,
      is_member: isMember,
      ...(isAdmin ? { tag_expiration_s: tagExpirationOf(services.access, organization) } : {}),
      teams: Object.fromEntries(teams.map((t) => [t.name, teamView(t, true)])),
      ordered_teams: teams.map((t) => t.name),
      ...(quota
        ? {
            quotas: quota.quotas.map(quotaView),
            quota_report: namespaceQuotaReportView(quota.report),
          }
        : {}),
    };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/organization/{orgname}',
      tags: ['organization'],
      summary: 'An organization; teams are listed for members only',
      request: { params: OrgParams },
      responses: { 200: json(OrganizationView, 'the organization'), ...ERRORS },
    }),
    async (c) => c.json(await view(c.get('principal'), c.req.valid('param').orgname), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/organization/{orgname}',
      tags: ['organization'],
      summary: "Change an organization's e-mail (admins)",
      request: {
        params: OrgParams,
        body: jsonBody(
          z.strictObject({
            email: z.string().optional(),
            tag_expiration_s: z.number().int().min(0).optional().openapi({
              description:
                'how long deleted and moved tags stay restorable (TAG_EXPIRATION_OPTIONS)',
            }),
          }),
        ),
      },
      responses: { 200: json(OrganizationView, 'the organization'), ...ERRORS },
    }),
    async (c) => {
      const { orgname } = c.req.valid('param');
      const { email, tag_expiration_s } = c.req.valid('json');
      await orgs.update(c.get('principal'), orgname, { email, tagExpirationS: tag_expiration_s });
      return c.json(await view(c.get('principal'), orgname), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/organization/{orgname}',
      tags: ['organization'],
      summary: 'Delete an organization with its repositories, teams and robots (admins)',
      request: { params: OrgParams },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      await orgs.delete(c.get('principal'), c.req.valid('param').orgname);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/organization/{orgname}/members',
      tags: ['organization'],
      summary: 'Everyone on a team of the organization, with their teams (admins)',
      request: { params: OrgParams },
      responses: {
        200: json(
          z.object({
            members: z.array(
              z.object({
                name: z.string(),
                kind: z.literal('user'),
                is_robot: z.boolean(),
                avatar: Avatar,
                teams: z.array(z.object({ name: z.string(), avatar: Avatar })),
              }),
            ),
          }),
          'members',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const members = await orgs.members(c.get('principal'), c.req.valid('param').orgname);
      return c.json(
        {
          members: members.map(({ account, teams }) => {
            const { invited: _invited, ...member } = memberView(account);
            return { ...member, teams: teams.map((t) => ({ name: t, avatar: avatar(t, 'team') })) };
          }),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/organization/{orgname}/team/{teamname}',
      tags: ['team'],
      summary: 'Create a team or change its role and description (admins)',
      request: {
        params: TeamParams,
        body: jsonBody(
          z.strictObject({ role: TeamRole, description: z.string().max(1024).optional() }),
        ),
      },
      responses: { 200: json(TeamView, 'the team'), ...ERRORS },
    }),
    async (c) => {
      const { orgname, teamname } = c.req.valid('param');
      const { role, description } = c.req.valid('json');
      const team = await orgs.saveTeam(c.get('principal'), orgname, teamname, role, description);
      return c.json(teamView(team, true), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/organization/{orgname}/team/{teamname}',
      tags: ['team'],
      summary: 'Delete a team (admins; not the owners team)',
      request: { params: TeamParams },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      const { orgname, teamname } = c.req.valid('param');
      await orgs.deleteTeam(c.get('principal'), orgname, teamname);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/organization/{orgname}/team/{teamname}/members',
      tags: ['team'],
      summary: "A team's members (admins and the team's own members)",
      request: { params: TeamParams },
      responses: {
        200: json(
          z.object({ name: z.string(), members: z.array(MemberView), can_edit: z.boolean() }),
          'members',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const { orgname, teamname } = c.req.valid('param');
      const { team, members, canEdit } = await orgs.teamMembers(
        c.get('principal'),
        orgname,
        teamname,
      );
      return c.json({ name: team.name, members: members.map(memberView), can_edit: canEdit }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/organization/{orgname}/team/{teamname}/members/{membername}',
      tags: ['team'],
      summary: 'Add a user, or a robot of the organization, to a team (admins)',
      request: { params: TeamMemberParams },
      responses: { 200: json(MemberView, 'the member'), ...ERRORS },
    }),
    async (c) => {
      const { orgname, teamname, membername } = c.req.valid('param');
      const member = await orgs.addTeamMember(c.get('principal'), orgname, teamname, membername);
      return c.json(memberView(member), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/organization/{orgname}/team/{teamname}/members/{membername}',
      tags: ['team'],
      summary: 'Remove a member from a team (admins)',
      request: { params: TeamMemberParams },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      const { orgname, teamname, membername } = c.req.valid('param');
      await orgs.removeTeamMember(c.get('principal'), orgname, teamname, membername);
      return c.body(null, 204);
    },
  );

  const Prototype = z
    .object({
      id: z.string(),
      role: RepositoryRole,
      delegate: z.object({
        name: z.string(),
        kind: z.enum(['user', 'team']),
        is_robot: z.boolean(),
      }),
    })
    .openapi('DefaultPermission');
  const prototypeView = (p: {
    id: string;
    role: 'read' | 'write' | 'admin';
    name: string;
    kind: string;
  }) => ({
    id: p.id,
    role: p.role,
    delegate: {
      name: p.name,
      kind: p.kind === 'team' ? ('team' as const) : ('user' as const),
      is_robot: p.kind === 'robot',
    },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/organization/{orgname}/prototypes',
      tags: ['organization'],
      summary: 'Default permissions of new repositories (admins)',
      request: { params: OrgParams },
      responses: {
        200: json(z.object({ prototypes: z.array(Prototype) }), 'default permissions'),
        ...ERRORS,
      },
    }),
    async (c) => {
      const list = await orgs.defaultPermissions(c.get('principal'), c.req.valid('param').orgname);
      return c.json({ prototypes: list.map(prototypeView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/organization/{orgname}/prototypes',
      tags: ['organization'],
      summary: 'Add a default permission for new repositories (admins)',
      request: {
        params: OrgParams,
        body: jsonBody(
          z.strictObject({
            role: RepositoryRole,
            delegate: z.strictObject({ name: z.string(), kind: z.enum(['user', 'team']) }),
          }),
        ),
      },
      responses: { 200: json(Prototype, 'the default permission'), ...ERRORS },
    }),
    async (c) => {
      const { role, delegate } = c.req.valid('json');
      const created = await orgs.addDefaultPermission(
        c.get('principal'),
        c.req.valid('param').orgname,
        delegate,
        role,
      );
      return c.json(prototypeView(created), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/organization/{orgname}/prototypes/{prototypeid}',
      tags: ['organization'],
      summary: 'Remove a default permission (admins)',
      request: {
        params: OrgParams.extend({
          prototypeid: z.string().openapi({ param: { name: 'prototypeid', in: 'path' } }),
        }),
      },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      const { orgname, prototypeid } = c.req.valid('param');
      await orgs.deleteDefaultPermission(c.get('principal'), orgname, prototypeid);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/organization/{orgname}/team/{teamname}/permissions',
      tags: ['team'],
      summary: 'The repositories a team has a role on (admins)',
      request: { params: TeamParams },
      responses: {
        200: json(NamespacePermissions, "the team's repository permissions"),
        ...ERRORS,
      },
    }),
    async (c) => {
      const { orgname, teamname } = c.req.valid('param');
      const permissions = await orgs.teamPermissions(c.get('principal'), orgname, teamname);
      return c.json(namespacePermissionsView(orgname, permissions), 200);
    },
  );
}
