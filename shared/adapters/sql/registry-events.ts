import type { Kysely } from 'kysely';
import { SqlAudit } from './identity/audit.js';
import { asJson } from './identity/rows.js';
import type { Database } from './schema.js';

/** An event on a repository: audit-logged, and kept undelivered for the notification system. */
export interface RegistryEvent {
  kind: string;
  performer: { id: number; name: string } | null;
  namespace: { id: number; name: string } | null;
  /** `name` is the full `namespace/repository`. */
  repository: { id: number; name: string };
  payload: Record<string, unknown>;
  nowMs: number;
}

/**
 * Writes the `registry_event` row and its audit entry; call it inside the
 * transaction of the change the event reports, so neither exists without it.
 */
export async function recordRegistryEvent(db: Kysely<Database>, e: RegistryEvent): Promise<void> {
  const shortName = e.namespace
    ? e.repository.name.slice(e.namespace.name.length + 1)
    : e.repository.name;
  await db
    .insertInto('registry_event')
    .values({
      kind: e.kind,
      namespace_id: e.namespace?.id ?? null,
      repository_id: e.repository.id,
      payload: asJson(e.payload),
      created_at_ms: e.nowMs,
      delivered_at_ms: null,
    })
    .execute();
  await new SqlAudit(db).appendAudit({
    kind: e.kind,
    performer: e.performer,
    namespace: e.namespace,
    repository: { id: e.repository.id, name: shortName },
    ip: null,
    metadata: { ...e.payload, repo: e.repository.name },
    createdAtMs: e.nowMs,
  });
}
