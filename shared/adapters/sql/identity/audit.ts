import { sql, type Kysely } from 'kysely';
import type {
  AuditEntry,
  AuditQuery,
  RepositoryAuditEntry,
} from '../../../ports/identity-store.js';
import type { Database } from '../schema.js';
import { asJson } from './rows.js';
import { splitRepositoryName } from '../../../oci/grammar.js';

/** The audit log. */
export class SqlAudit {
  constructor(private readonly db: Kysely<Database>) {}

  async appendAudit(e: AuditEntry): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        kind: e.kind,
        performer_id: e.performer?.id ?? null,
        performer_name: e.performer?.name ?? null,
        namespace_id: e.namespace?.id ?? null,
        namespace_name: e.namespace?.name ?? null,
        repository_id: e.repository?.id ?? null,
        repository_name: e.repository?.name ?? null,
        ip: e.ip,
        metadata: asJson(e.metadata),
        created_at_ms: e.createdAtMs,
      })
      .execute();
  }

  async appendAuditForRepositories(entries: RepositoryAuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // Typed casts: in VALUES, Postgres infers no parameter types. Ordered, so
    // ids (the log's order) follow the order the events happened in.
    const rows = entries.map((e, ord) => {
      const { namespace, shortName } = splitRepositoryName(e.repositoryName);
      return sql`(${ord}::integer, ${e.repositoryName}::text, ${e.kind}::text, ${e.performer?.id ?? null}::bigint,
        ${e.performer?.name ?? null}::text,
        ${namespace}::text,
        ${shortName}::text, ${e.ip}::text,
        ${JSON.stringify(e.metadata)}::jsonb, ${e.createdAtMs}::bigint)`;
    });
    await sql`
      insert into audit_log (kind, performer_id, performer_name, namespace_id, namespace_name,
        repository_id, repository_name, ip, metadata, created_at_ms)
      select v.kind, v.performer_id, v.performer_name, r.namespace_id, v.namespace_name,
        r.id, v.repository_name, v.ip, v.metadata, v.created_at_ms
      from (values ${sql.join(rows)}) as v(ord, full_name, kind, performer_id, performer_name,
        namespace_name, repository_name, ip, metadata, created_at_ms)
      join repository r on r.name = v.full_name
      order by v.ord
    `.execute(this.db);
  }

  async listAudit(q: AuditQuery): Promise<(AuditEntry & { id: number })[]> {
    let query = this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('created_at_ms', '>=', q.fromMs)
      .where('created_at_ms', '<', q.toMs)
      .orderBy('id', 'desc')
      .limit(q.limit);
    if (q.repositoryId !== undefined) query = query.where('repository_id', '=', q.repositoryId);
    if (q.namespaceId !== undefined) query = query.where('namespace_id', '=', q.namespaceId);
    if (q.performerId !== undefined) query = query.where('performer_id', '=', q.performerId);
    if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
    const rows = await query.execute();
    const ref = (id: number | null, name: string | null) =>
      id !== null && name !== null ? { id, name } : null;
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      performer: ref(r.performer_id, r.performer_name),
      namespace: ref(r.namespace_id, r.namespace_name),
      repository: ref(r.repository_id, r.repository_name),
      ip: r.ip,
      metadata: typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata,
      createdAtMs: r.created_at_ms,
    }));
  }
}
