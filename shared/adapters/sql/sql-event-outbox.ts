import { sql, type Kysely } from 'kysely';
import type { EventOutbox, OutboxEvent } from '../../ports/event-outbox.js';
import type { Database } from './schema.js';

/** Recorded registry events, claimed for publishing with `FOR UPDATE SKIP LOCKED`. */
export class SqlEventOutbox implements EventOutbox {
  constructor(private readonly db: Kysely<Database>) {}

  async claimUnpublished(
    nowMs: number,
    limit: number,
    claim: { token: string; untilMs: number },
  ): Promise<OutboxEvent[]> {
    const { rows } = await sql<{
      id: number;
      kind: string;
      payload: Record<string, unknown>;
      created_at_ms: number;
      repository: string | null;
      namespace: string | null;
    }>`
      with claimed as (
        update registry_event set claim_token = ${claim.token}, claimed_until_ms = ${claim.untilMs}
        where id in (
          select id from registry_event
          where delivered_at_ms is null
            and (claimed_until_ms is null or claimed_until_ms < ${nowMs})
          order by id limit ${limit} for update skip locked)
        returning id, kind, payload, created_at_ms, repository_id, namespace_id)
      select c.id, c.kind, c.payload, c.created_at_ms, r.name as repository, a.name as namespace
      from claimed c
      left join repository r on r.id = c.repository_id
      left join account a on a.id = c.namespace_id
      order by c.id`.execute(this.db);
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      repository: r.repository,
      namespace: r.namespace,
      payload: r.payload,
      createdAtMs: r.created_at_ms,
    }));
  }

  async markPublished(ids: number[], token: string, nowMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('registry_event')
      .set({ delivered_at_ms: nowMs, claim_token: null, claimed_until_ms: null })
      .where('id', 'in', ids)
      .where('claim_token', '=', token)
      .execute();
  }

  async forget(beforeMs: number): Promise<number> {
    const result = await this.db
      .deleteFrom('registry_event')
      .where('created_at_ms', '<', beforeMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
