import { sql, type Kysely } from 'kysely';
import { NOTIFICATION_FAILURE_LIMIT } from '../../ports/notification-store.js';
import { SqlAudit } from './identity/audit.js';
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
  const deliveries = await insertWithDeliveries(db, e);
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
 * The event row and, in the same statement (it is on every push's path),
 * one delivery per enabled notification of the event's repository, or of
 * its namespace for namespace notifications (repository_id null), that
 * subscribes to its kind. A repository notification only ever subscribes
 * to repository events and a namespace one to namespace events, so the
 * two never both match.
 */
async function insertWithDeliveries(db: Kysely<Database>, e: RegistryEvent): Promise<number> {
  const repositoryId = e.repository?.id ?? null;
  const namespaceId = e.namespace?.id ?? null;
  const { rows } = await sql<{ id: number }>`
    with event as (
      insert into registry_event (kind, namespace_id, repository_id, payload, created_at_ms)
      values (${e.kind}::text, ${namespaceId}::bigint, ${repositoryId}::bigint,
        ${JSON.stringify(e.data)}::jsonb, ${e.nowMs}::bigint)
      returning payload)
    insert into notification_delivery
      (uuid, notification_id, event, payload, state, attempts, next_attempt_ms, created_at_ms)
    select gen_random_uuid()::text, n.id, ${e.kind}::text, event.payload, 'pending', 0,
      ${e.nowMs}::bigint, ${e.nowMs}::bigint
    from event, notification n
    where n.event = ${e.kind}::text
      and n.number_of_failures < ${NOTIFICATION_FAILURE_LIMIT}::integer
      and (n.repository_id = ${repositoryId}::bigint
        or (n.repository_id is null and n.namespace_id = ${namespaceId}::bigint))
    returning id`.execute(db);
  return rows.length;
}
