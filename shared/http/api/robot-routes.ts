import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireUser } from '../../access/users.js';
import type { ApiApp, ApiEnv, ApiServices } from './api-env.js';
import { ERRORS, json, noContent } from './route-helpers.js';
import {
  NamespacePermissions,
  OrgParams,
  OrgRobotParams,
  RobotParams,
  RobotView,
} from './schemas.js';
import { namespacePermissionsView, robotView } from './views.js';

const RobotBody = z.strictObject({
  description: z.string().max(1024).optional(),
  unstructured_metadata: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Robots of users (`/user/robots`) and of organizations
 * (`/organization/{orgname}/robots`): the same operations on two prefixes.
 */
export function registerRobotRoutes(app: ApiApp, services: ApiServices): void {
  const robots = services.robots;
  const prefixes = [
    {
      path: '/user/robots',
      tag: 'robot',
      params: RobotParams,
      listParams: z.object({}),
      namespace: (c: Context<ApiEnv>) => requireUser(c.get('principal'), 'user:read').account.name,
    },
    {
      path: '/organization/{orgname}/robots',
      tag: 'robot',
      params: OrgRobotParams,
      listParams: OrgParams,
      namespace: (c: Context<ApiEnv>) => c.req.param('orgname')!,
    },
  ] as const;

  for (const prefix of prefixes) {
    app.openapi(
      createRoute({
        method: 'get',
        path: prefix.path,
        tags: [prefix.tag],
        summary: 'List robots (without their tokens)',
        request: { params: prefix.listParams },
        responses: { 200: json(z.object({ robots: z.array(RobotView) }), 'robots'), ...ERRORS },
      }),
      async (c) => {
        const list = await robots.list(c.get('principal'), prefix.namespace(c));
        return c.json({ robots: list.map((r) => robotView(r)) }, 200);
      },
    );

    app.openapi(
      createRoute({
        method: 'put',
        path: `${prefix.path}/{robot_shortname}`,
        tags: [prefix.tag],
        summary: 'Create a robot; its token is in the answer, and only there',
        request: {
          params: prefix.params,
          body: { content: { 'application/json': { schema: RobotBody } }, required: false },
        },
        responses: { 201: json(RobotView, 'the robot with its token'), ...ERRORS },
      }),
      async (c) => {
        const body = (await c.req.json().catch(() => ({}))) as unknown;
        const parsed = RobotBody.safeParse(body ?? {});
        if (!parsed.success) throw parsed.error;
        const { robot, token } = await robots.create(
          c.get('principal'),
          prefix.namespace(c),
          c.req.param('robot_shortname')!,
          parsed.data.description ?? '',
        );
        return c.json(robotView(robot, token), 201);
      },
    );

    app.openapi(
      createRoute({
        method: 'get',
        path: `${prefix.path}/{robot_shortname}`,
        tags: [prefix.tag],
        summary: 'A robot (its token is never shown again; regenerate it if lost)',
        request: { params: prefix.params },
        responses: { 200: json(RobotView, 'the robot'), ...ERRORS },
      }),
      async (c) => {
        const { robot } = await robots.get(
          c.get('principal'),
          prefix.namespace(c),
          c.req.param('robot_shortname')!,
        );
        return c.json(robotView(robot), 200);
      },
    );

    app.openapi(
      createRoute({
        method: 'get',
        path: `${prefix.path}/{robot_shortname}/permissions`,
        tags: [prefix.tag],
        summary: 'The repositories a robot has a role on',
        request: { params: prefix.params },
        responses: {
          200: json(NamespacePermissions, "the robot's repository permissions"),
          ...ERRORS,
        },
      }),
      async (c) => {
        const namespace = prefix.namespace(c);
        const permissions = await robots.permissions(
          c.get('principal'),
          namespace,
          c.req.param('robot_shortname')!,
        );
        return c.json(namespacePermissionsView(namespace, permissions), 200);
      },
    );

    app.openapi(
      createRoute({
        method: 'delete',
        path: `${prefix.path}/{robot_shortname}`,
        tags: [prefix.tag],
        summary: 'Delete a robot',
        request: { params: prefix.params },
        responses: { 204: noContent, ...ERRORS },
      }),
      async (c) => {
        await robots.delete(
          c.get('principal'),
          prefix.namespace(c),
          c.req.param('robot_shortname')!,
        );
        return c.body(null, 204);
      },
    );

    app.openapi(
      createRoute({
        method: 'post',
        path: `${prefix.path}/{robot_shortname}/regenerate`,
        tags: [prefix.tag],
        summary: "Replace a robot's token; the old one stops working at once",
        request: { params: prefix.params },
        responses: { 200: json(RobotView, 'the robot with its new token'), ...ERRORS },
      }),
      async (c) => {
        const { robot, token } = await robots.regenerate(
          c.get('principal'),
          prefix.namespace(c),
          c.req.param('robot_shortname')!,
        );
        return c.json(robotView(robot, token), 200);
      },
    );
  }
}
