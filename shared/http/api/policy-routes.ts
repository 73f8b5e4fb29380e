import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Principal } from '../../access/principal.js';
import type { ApiApp, ApiEnv } from './api-env.js';
import { ERRORS, json, jsonBody } from './route-helpers.js';

/** Where one kind of policy lives: a path prefix, its parameters, and the scope they name. */
export interface PolicyPrefix<Scope> {
  path: string;
  params: z.ZodObject;
  scope: (c: Context<ApiEnv>) => Scope;
}

/** What a kind of policy (auto-prune, immutability) is administered through. */
export interface PolicyService<Scope, Policy, Stored> {
  list(actor: Principal, scope: Scope): Promise<Stored[]>;
  get(actor: Principal, scope: Scope, uuid: string): Promise<Stored>;
  create(actor: Principal, scope: Scope, policy: Policy): Promise<string>;
  update(actor: Principal, scope: Scope, uuid: string, policy: Policy): Promise<void>;
  delete(actor: Principal, scope: Scope, uuid: string): Promise<void>;
}

export interface PolicyRoutes<Scope, Policy, Stored> {
  /** The OpenAPI tag, and the policy's name in summaries. */
  tag: string;
  noun: string;
  prefixes: readonly PolicyPrefix<Scope>[];
  body: z.ZodType;
  view: z.ZodType;
  /** The request body as the service takes it (Quay sends some values loosely typed). */
  toPolicy: (body: unknown) => Policy;
  toView: (stored: Stored) => unknown;
  service: PolicyService<Scope, Policy, Stored>;
  createdNote: string;
}

const Uuid = z.object({
  policy_uuid: z.string().openapi({ param: { name: 'policy_uuid', in: 'path' } }),
});

/**
 * Quay's five policy routes on each prefix: list and create on the prefix,
 * read, replace and delete by `policy_uuid` below it. Quay answers a
 * replace with 204 and a delete with the uuid.
 */
export function registerPolicyRoutes<Scope, Policy, Stored>(
  app: ApiApp,
  spec: PolicyRoutes<Scope, Policy, Stored>,
): void {
  const { service, noun } = spec;
  for (const prefix of spec.prefixes) {
    const tags = [spec.tag];
    const withUuid = prefix.params.extend(Uuid.shape);
    const uuidOf = (c: Context<ApiEnv>) => c.req.param('policy_uuid')!;
    app.openapi(
      createRoute({
        method: 'get',
        path: prefix.path,
        tags,
        summary: `List ${noun} policies (administrators)`,
        request: { params: prefix.params },
        responses: {
          200: json(z.object({ policies: z.array(spec.view) }), 'policies'),
          ...ERRORS,
        },
      }),
      async (c) => {
        const list = await service.list(c.get('principal'), prefix.scope(c));
        // The view schema is the caller's, so the response type is not known here.
        return c.json({ policies: list.map(spec.toView) } as never, 200);
      },
    );
    app.openapi(
      createRoute({
        method: 'post',
        path: prefix.path,
        tags,
        summary: `Create an ${noun} policy; ${spec.createdNote}`,
        request: { params: prefix.params, body: jsonBody(spec.body) },
        responses: { 201: json(z.object({ uuid: z.string() }), 'created'), ...ERRORS },
      }),
      async (c) => {
        const policy = spec.toPolicy(spec.body.parse(await c.req.json()));
        const uuid = await service.create(c.get('principal'), prefix.scope(c), policy);
        return c.json({ uuid }, 201);
      },
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: `${prefix.path}/{policy_uuid}`,
        tags,
        summary: `One ${noun} policy`,
        request: { params: withUuid },
        responses: { 200: json(spec.view, 'the policy'), ...ERRORS },
      }),
      async (c) => {
        const stored = await service.get(c.get('principal'), prefix.scope(c), uuidOf(c));
        return c.json(spec.toView(stored) as never, 200);
      },
    );
    app.openapi(
      createRoute({
        method: 'put',
        path: `${prefix.path}/{policy_uuid}`,
        tags,
        summary: `Replace an ${noun} policy`,
        request: { params: withUuid, body: jsonBody(spec.body) },
        responses: { 204: { description: 'changed' }, ...ERRORS },
      }),
      async (c) => {
        const policy = spec.toPolicy(spec.body.parse(await c.req.json()));
        await service.update(c.get('principal'), prefix.scope(c), uuidOf(c), policy);
        return c.body(null, 204);
      },
    );
    app.openapi(
      createRoute({
        method: 'delete',
        path: `${prefix.path}/{policy_uuid}`,
        tags,
        summary: `Delete an ${noun} policy`,
        request: { params: withUuid },
        responses: { 200: json(z.object({ uuid: z.string() }), 'deleted'), ...ERRORS },
      }),
      async (c) => {
        const uuid = uuidOf(c);
        await service.delete(c.get('principal'), prefix.scope(c), uuid);
        return c.json({ uuid }, 200);
      },
    );
  }
}
