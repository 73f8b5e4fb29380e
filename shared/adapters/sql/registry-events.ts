import { sql, type Kysely } from 'kysely';
import { NOTIFICATION_FAILURE_LIMIT } from '../../ports/notification-store.js';
import { SqlAudit } from './identity/audit.js';
import { asJson } from './identity/rows.js';
import type { Database } from './schema.js';

/** An event on a repository or a namespace: recorded, audit-logged, and delivered to its subscribers. */
export interface RegistryEvent {
  kind: string;
  performer: { id: number; name: string } | null;
  namespace: { id: number; name: string } | null;
  /** `name` is the full `namespace/repository`; null for an event of a whole namespace. */
  repository: { id: number; name: string } | null;
  /** What notifications carry: Quay's `event_data`, without the URLs that depend on the host. */
  data: Record<string, unknown>;
  /** The audit entry's metadata; false when the caller audits the change itself (a push). */
  audit: Record<string, unknown> | false;
  nowMs: number;
}

/**
 * Writes the `registry_event` row, a delivery for every enabled
 * notification that subscribes to it, and its audit entry. Call it inside
 * the transaction of the change the event reports, so none of them exists
 * without the others: a crash after the commit delays a delivery, never
 * drops it. Returns how many deliveries it queued.
 */
export async function recordRegistryEvent(
  db: Kysely<Database>,
  e: RegistryEvent,
): Promise<{ deliveries: number }> {
  const { id: eventId } = await db
    .insertInto('registry_event')
    .values({
      kind: e.kind,
      namespace_id: e.namespace?.id ?? null,
      repository_id: e.repository?.id ?? null,
      payload: asJson(e.data),
      created_at_ms: e.nowMs,
      delivered_at_ms: null,
      claim_token: null,
      claimed_until_ms: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const deliveries = await queueDeliveries(db, eventId, e);
  if (e.audit !== false) {
    const shortName =
      e.repository && e.namespace
        ? e.repository.name.slice(e.namespace.name.length + 1)
        : (e.repository?.name ?? null);
    await new SqlAudit(db).appendAudit({
      kind: e.kind,
      performer: e.performer,
      namespace: e.namespace,
      repository:
        e.repository && shortName !== null ? { id: e.repository.id, name: shortName } : null,
      ip: null,
      metadata: { ...e.audit, ...(e.repository ? { repo: e.repository.name } : {}) },
      createdAtMs: e.nowMs,
    });
  }
  return { deliveries };
}

/**
 * One delivery per enabled notification of the event's repository, or of
 * its namespace for namespace notifications (repository_id null), that
 * subscribes to its kind. A repository notification only ever subscribes
 * to repository events and a namespace one to namespace events, so the
 * two never both match.
 */
async function queueDeliveries(
  db: Kysely<Database>,
  eventId: number,
  e: RegistryEvent,
): Promise<number> {
  const repositoryId = e.repository?.id ?? null;
  const namespaceId = e.namespace?.id ?? null;
  if (repositoryId === null && namespaceId === null) return 0;
  const { rows } = await sql<{ id: number }>`
    insert into notification_delivery
      (uuid, notification_id, event, payload, state, attempts, next_attempt_ms, created_at_ms)
    select gen_random_uuid()::text, n.id, ${e.kind}::text, registry_event.payload, 'pending', 0,
      ${e.nowMs}::bigint, ${e.nowMs}::bigint
    from notification n, registry_event
    where registry_event.id = ${eventId}::bigint and n.event = ${e.kind}::text
      and n.number_of_failures < ${NOTIFICATION_FAILURE_LIMIT}::integer
      and (n.repository_id = ${repositoryId}::bigint
        or (n.repository_id is null and n.namespace_id = ${namespaceId}::bigint))
    returning id`.execute(db);
  return rows.length;
}
