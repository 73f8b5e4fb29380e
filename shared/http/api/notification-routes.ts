import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { NotificationScope } from '../../access/notifications.js';
import type { DeliveryRecord, NotificationRecord } from '../../ports/notification-store.js';
import { NAMESPACE_EVENTS, REPOSITORY_EVENTS } from '../../notifications/events.js';
import { METHODS } from '../../notifications/methods.js';
import type { ApiApp, ApiEnv, ApiServices } from './api-env.js';
import { ERRORS, json, jsonBody, noContent, repositoryName } from './route-helpers.js';
import { OrgParams, RepositoryParams, UuidParams } from './schemas.js';
import { quayDate } from './views.js';

const Config = z.record(z.string(), z.unknown());

const NotificationBody = z.strictObject({
  event: z.string().openapi({
    description: `The event: ${REPOSITORY_EVENTS.join(', ')} on repositories; ${NAMESPACE_EVENTS.join(', ')} on namespaces`,
  }),
  method: z.string().openapi({ description: `How it is sent: ${METHODS.join(', ')}` }),
  config: Config.openapi({
    description:
      'webhook: {url, template?, format?: quay|cloudevents}; slack: {url}; email: {email}; quay_notification: {target: {kind: user|org|team, name}}',
  }),
  eventConfig: Config.optional().openapi({
    description: 'repo_image_expiry: {days}; others: {}',
  }),
  title: z.string().max(255).nullable().optional(),
});

const NotificationView = z
  .object({
    uuid: z.string(),
    title: z.string().nullable(),
    event: z.string(),
    method: z.string(),
    config: Config,
    event_config: Config,
    number_of_failures: z.number().int().openapi({
      description: 'Failed attempts in a row; at 3 the notification is disabled until reset',
    }),
  })
  .openapi('Notification');

const CreatedView = NotificationView.extend({
  secret: z.string().optional().openapi({
    description:
      'Webhooks only, shown this once: the key of the X-Berth-Signature-256 HMAC-SHA256 over each body',
  }),
}).openapi('CreatedNotification');

const DeliveryView = z
  .object({
    uuid: z.string().openapi({ description: 'Sent as X-Berth-Delivery on every attempt' }),
    event: z.string(),
    state: z.enum(['pending', 'delivered', 'failed']).openapi({
      description: 'failed: given up on (the dead letter), with its reason in last_error',
    }),
    attempts: z.number().int(),
    next_attempt: z.string().nullable(),
    last_error: z.string().nullable(),
    created: z.string(),
    finished: z.string().nullable(),
  })
  .openapi('NotificationDelivery');

const view = (n: NotificationRecord): z.infer<typeof NotificationView> => ({
  uuid: n.uuid,
  title: n.title,
  event: n.event,
  method: n.method,
  config: n.config,
  event_config: n.eventConfig,
  number_of_failures: n.numberOfFailures,
});

const deliveryView = (d: DeliveryRecord): z.infer<typeof DeliveryView> => ({
  uuid: d.uuid,
  event: d.event,
  state: d.state,
  attempts: d.attempts,
  next_attempt: d.state === 'pending' ? quayDate(d.nextAttemptMs) : null,
  last_error: d.lastError,
  created: quayDate(d.createdAtMs),
  finished: d.finishedAtMs === null ? null : quayDate(d.finishedAtMs),
});

interface Prefix {
  /** The list's path; one notification is `${path}/{uuid}`. */
  path: string;
  params: z.ZodObject;
  scope: (c: Context<ApiEnv>) => NotificationScope;
  who: string;
}

const DeliveriesQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .openapi({
      param: { name: 'limit', in: 'query' },
      description: 'How many of the latest deliveries (default 50)',
    }),
});

/**
 * Quay's notification endpoints on each of their prefixes: a repository's
 * (`…/notification/`), an organization's and the user's own namespace's
 * (`…/notifications`, quota events). Berth adds `…/{uuid}/deliveries`.
 */
export function registerNotificationRoutes(app: ApiApp, services: ApiServices): void {
  const prefixes: Prefix[] = [
    {
      path: '/repository/{namespace}/{repository}/notification',
      params: RepositoryParams,
      scope: (c) => ({ kind: 'repository', name: repositoryName(c) }),
      who: "the repository's administrators",
    },
    {
      path: '/organization/{orgname}/notifications',
      params: OrgParams,
      scope: (c) => ({ kind: 'organization', name: c.req.param('orgname')! }),
      who: "the organization's administrators",
    },
    {
      path: '/user/namespacenotifications',
      params: z.object({}),
      scope: () => ({ kind: 'user' }),
      who: 'the user, for their own namespace',
    },
  ];
  const notifications = services.notifications;
  const tags = ['notification'];
  for (const prefix of prefixes) {
    const one = prefix.params.extend(UuidParams.shape);
    const uuidOf = (c: Context<ApiEnv>) => c.req.param('uuid')!;
    app.openapi(
      createRoute({
        method: 'get',
        path: prefix.path,
        tags,
        summary: `List notifications (${prefix.who})`,
        request: { params: prefix.params },
        responses: {
          200: json(z.object({ notifications: z.array(NotificationView) }), 'notifications'),
          ...ERRORS,
        },
      }),
      async (c) => {
        const list = await notifications.list(c.get('principal'), prefix.scope(c));
        return c.json({ notifications: list.map(view) }, 200);
      },
    );
    app.openapi(
      createRoute({
        method: 'post',
        path: prefix.path,
        tags,
        summary: `Create a notification (${prefix.who}); a webhook's signing secret is shown once`,
        request: { params: prefix.params, body: jsonBody(NotificationBody) },
        responses: { 201: json(CreatedView, 'created'), ...ERRORS },
      }),
      async (c) => {
        const body = NotificationBody.parse(await c.req.json());
        const { notification, secret } = await notifications.create(
          c.get('principal'),
          prefix.scope(c),
          {
            event: body.event,
            method: body.method,
            config: body.config,
            eventConfig: body.eventConfig ?? {},
            title: body.title ?? null,
          },
        );
        return c.json({ ...view(notification), ...(secret ? { secret } : {}) }, 201);
      },
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: `${prefix.path}/{uuid}`,
        tags,
        summary: 'One notification',
        request: { params: one },
        responses: { 200: json(NotificationView, 'the notification'), ...ERRORS },
      }),
      async (c) =>
        c.json(view(await notifications.get(c.get('principal'), prefix.scope(c), uuidOf(c))), 200),
    );
    app.openapi(
      createRoute({
        method: 'delete',
        path: `${prefix.path}/{uuid}`,
        tags,
        summary: 'Delete a notification, with its pending deliveries',
        request: { params: one },
        responses: { 204: noContent, ...ERRORS },
      }),
      async (c) => {
        await notifications.delete(c.get('principal'), prefix.scope(c), uuidOf(c));
        return c.body(null, 204);
      },
    );
    app.openapi(
      createRoute({
        method: 'post',
        path: `${prefix.path}/{uuid}`,
        tags,
        summary: 'Reset the failure count to 0, which enables a disabled notification again',
        request: { params: one },
        responses: { 204: noContent, ...ERRORS },
      }),
      async (c) => {
        await notifications.reset(c.get('principal'), prefix.scope(c), uuidOf(c));
        return c.body(null, 204);
      },
    );
    app.openapi(
      createRoute({
        method: 'post',
        path: `${prefix.path}/{uuid}/test`,
        tags,
        summary: 'Send a sample event to this notification',
        request: { params: one },
        responses: { 200: json(z.object({}), 'queued'), ...ERRORS },
      }),
      async (c) => {
        await notifications.test(c.get('principal'), prefix.scope(c), uuidOf(c));
        return c.json({}, 200);
      },
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: `${prefix.path}/{uuid}/deliveries`,
        tags,
        summary:
          "The notification's latest deliveries: pending, delivered, or failed with the reason (Berth's)",
        request: { params: one, query: DeliveriesQuery },
        responses: {
          200: json(z.object({ deliveries: z.array(DeliveryView) }), 'deliveries'),
          ...ERRORS,
        },
      }),
      async (c) => {
        const limit = Number(c.req.query('limit') ?? 50);
        const list = await notifications.deliveries(
          c.get('principal'),
          prefix.scope(c),
          uuidOf(c),
          limit,
        );
        return c.json({ deliveries: list.map(deliveryView) }, 200);
      },
    );
  }
}
