import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, ApiServices } from './api-env.js';
import { ERRORS, json } from './route-helpers.js';

const LocationView = z
  .object({
    location: z.string(),
    healthy: z.boolean(),
    pending: z.number().int(),
    failed: z.number().int(),
    lag_seconds: z
      .number()
      .nullable()
      .openapi({ description: 'how long the oldest pending copy has waited; null with none' }),
    bytes_copied: z.number().int(),
    copies: z.number().int(),
    backfill: z.object({ done: z.boolean(), queued: z.number().int() }),
  })
  .openapi('ReplicationLocation');

const FailureView = z
  .object({
    digest: z.string(),
    location: z.string(),
    attempts: z.number().int(),
    error: z.string(),
  })
  .openapi('ReplicationFailure');

const LocationQuery = z.object({
  location: z.string().max(255).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * Berth's own (Quay has no such API): geo-replication's state per target
 * location, its failed copies with their reasons, and a retry of them.
 */
export function registerReplicationRoutes(app: ApiApp, services: ApiServices): void {
  const replication = services.replication;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/superuser/replication',
      tags: ['superuser'],
      summary: 'Geo-replication per location: backlog, lag, bytes copied, backfill (superusers)',
      responses: {
        200: json(z.object({ enabled: z.boolean(), locations: z.array(LocationView) }), 'state'),
        ...ERRORS,
      },
    }),
    async (c) => {
      const overview = await replication.overview(c.get('principal'));
      const now = services.access.deps.clock.now();
      return c.json(
        {
          enabled: overview.enabled,
          locations: overview.locations.map((l) => ({
            location: l.location,
            healthy: l.healthy,
            pending: l.pending,
            failed: l.failed,
            lag_seconds:
              l.oldestPendingMs === null ? null : Math.max(0, (now - l.oldestPendingMs) / 1000),
            bytes_copied: l.bytesCopied,
            copies: l.copies,
            backfill: { done: l.backfill.done, queued: l.backfill.queued },
          })),
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/superuser/replication/failures',
      tags: ['superuser'],
      summary: 'Copies given up on, with the reason (superusers)',
      request: { query: LocationQuery },
      responses: { 200: json(z.object({ failures: z.array(FailureView) }), 'failures'), ...ERRORS },
    }),
    async (c) => {
      const { location, limit } = c.req.valid('query');
      const failures = await replication.failures(c.get('principal'), location, limit);
      return c.json({ failures }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/superuser/replication/retry',
      tags: ['superuser'],
      summary: 'Queue failed copies again, of one location or all (superusers)',
      request: { query: LocationQuery.pick({ location: true }) },
      responses: { 200: json(z.object({ retried: z.number().int() }), 'queued again'), ...ERRORS },
    }),
    async (c) => {
      const { location } = c.req.valid('query');
      return c.json({ retried: await replication.retry(c.get('principal'), location) }, 200);
    },
  );
}
