import { sql, type Kysely } from 'kysely';
import type { BlobPlacement } from '../../ports/metadata-store.js';
import type {
  CopyRecorded,
  FailedCopy,
  LocationReplication,
  ReplicationClaim,
  ReplicationCopy,
  ReplicationStore,
} from '../../ports/replication-store.js';
import { asJson } from './identity/rows.js';
import type { Database } from './schema.js';

export class SqlReplicationStore implements ReplicationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async claimDue(
    nowMs: number,
    limit: number,
    claim: ReplicationClaim,
    locations: readonly string[],
  ): Promise<ReplicationCopy[]> {
    if (locations.length === 0) return [];
    const { rows } = await sql<{
      digest: string;
      location: string;
      attempts: number;
      size: number | string;
      placements: BlobPlacement[] | null;
    }>`
      with due as (
        select digest, location from blob_replication
        where state = 'pending' and next_attempt_ms <= ${nowMs}
          and location in (${sql.join([...locations])})
          and (claimed_until_ms is null or claimed_until_ms < ${nowMs})
        order by next_attempt_ms, digest, location
        limit ${limit}
        for update skip locked
      )
      update blob_replication r
      set claim_token = ${claim.token}, claimed_until_ms = ${claim.untilMs}
      from due
      where r.digest = due.digest and r.location = due.location
      returning r.digest, r.location, r.attempts,
        (select b.size from blob b where b.digest = r.digest) as size,
        (select json_agg(json_build_object('location', p.location, 'key', p.storage_key)
           order by p.location) from blob_placement p where p.digest = r.digest) as placements`.execute(
      this.db,
    );
    return rows.map((r) => ({
      digest: r.digest,
      location: r.location,
      attempts: Number(r.attempts),
      size: Number(r.size),
      placements: r.placements ?? [],
    }));
  }

  async recordCopy(
    copy: ReplicationCopy,
    token: string,
    key: string | null,
    nowMs: number,
  ): Promise<CopyRecorded> {
    return this.db.transaction().execute(async (trx) => {
      // FOR SHARE: garbage collection deletes a blob with its row locked FOR
      // UPDATE, so either it waits for this placement (and deletes these
      // bytes with the others), or it went first and the row is gone.
      const blob = await trx
        .selectFrom('blob')
        .select('digest')
        .where('digest', '=', copy.digest)
        .forShare()
        .executeTakeFirst();
      if (!blob) return 'blob-gone';
      const job = await trx
        .deleteFrom('blob_replication')
        .where('digest', '=', copy.digest)
        .where('location', '=', copy.location)
        .where('claim_token', '=', token)
        .executeTakeFirst();
      if (job.numDeletedRows === 0n) return 'lost-claim';
      await trx
        .insertInto('blob_placement')
        .values({
          digest: copy.digest,
          location: copy.location,
          created_at_ms: nowMs,
          storage_key: key,
        })
        .onConflict((oc) => oc.columns(['digest', 'location']).doNothing())
        .execute();
      await trx
        .insertInto('replication_location')
        .values({
          location: copy.location,
          bytes_copied: copy.size,
          copies: 1,
          backfill_after: null,
        })
        .onConflict((oc) =>
          oc.column('location').doUpdateSet({
            bytes_copied: sql`replication_location.bytes_copied + ${copy.size}`,
            copies: sql`replication_location.copies + 1`,
          }),
        )
        .execute();
      return 'placed';
    });
  }

  async recordFailure(
    copy: ReplicationCopy,
    token: string,
    error: string,
    retryAtMs: number | null,
    nowMs: number,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('blob_replication')
        .set({
          attempts: sql`attempts + 1`,
          last_error: error.slice(0, 2000),
          claim_token: null,
          claimed_until_ms: null,
          ...(retryAtMs === null ? { state: 'failed' as const } : { next_attempt_ms: retryAtMs }),
        })
        .where('digest', '=', copy.digest)
        .where('location', '=', copy.location)
        .where('claim_token', '=', token)
        .executeTakeFirst();
      if (retryAtMs !== null || updated.numUpdatedRows === 0n) return;
      // A copy given up on is something an operator must hear of.
      await trx
        .insertInto('audit_log')
        .values({
          kind: 'storage_replication_failed',
          performer_id: null,
          performer_name: null,
          namespace_id: null,
          namespace_name: null,
          repository_id: null,
          repository_name: null,
          ip: null,
          metadata: asJson({
            digest: copy.digest,
            location: copy.location,
            attempts: copy.attempts + 1,
            error,
          }),
          created_at_ms: nowMs,
        })
        .execute();
    });
  }

  async retryFailed(nowMs: number, location?: string): Promise<number> {
    let query = this.db
      .updateTable('blob_replication')
      .set({ state: 'pending', next_attempt_ms: nowMs, attempts: 0 })
      .where('state', '=', 'failed');
    if (location !== undefined) query = query.where('location', '=', location);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async backfill(
    location: string,
    limit: number,
    nowMs: number,
  ): Promise<{ queued: number; done: boolean }> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('replication_location')
        .values({ location, backfill_after: null })
        .onConflict((oc) => oc.column('location').doNothing())
        .execute();
      const state = await trx
        .selectFrom('replication_location')
        .select(['backfill_after', 'backfill_done'])
        .where('location', '=', location)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (state.backfill_done) return { queued: 0, done: true };
      const after = state.backfill_after ?? '';
      // A page of blobs by digest, then those of it the location lacks.
      const { rows } = await sql<{ last: string | null; queued: number | string }>`
        with page as (
          select digest from blob where digest > ${after} order by digest limit ${limit}
        ), queued as (
          insert into blob_replication (digest, location, state, next_attempt_ms, created_at_ms)
          select page.digest, ${location}, 'pending', ${nowMs}, ${nowMs} from page
          where not exists (select 1 from blob_placement p
                            where p.digest = page.digest and p.location = ${location})
            -- A blob with no placement at all has nothing to copy from.
            and exists (select 1 from blob_placement p where p.digest = page.digest)
          on conflict (digest, location) do nothing
          returning 1
        )
        select (select max(digest) from page) as last, (select count(*) from queued) as queued`.execute(
        trx,
      );
      const last = rows[0]?.last ?? null;
      const queued = Number(rows[0]?.queued ?? 0);
      const done = last === null;
      await trx
        .updateTable('replication_location')
        .set({
          backfill_after: last ?? state.backfill_after,
          backfill_done: done,
          backfill_queued: sql`backfill_queued + ${queued}`,
        })
        .where('location', '=', location)
        .execute();
      return { queued, done };
    });
  }

  async restartBackfill(location: string): Promise<void> {
    await this.db
      .insertInto('replication_location')
      .values({ location, backfill_after: null, backfill_done: false })
      .onConflict((oc) =>
        oc.column('location').doUpdateSet({
          backfill_after: null,
          backfill_done: false,
          backfill_queued: 0,
        }),
      )
      .execute();
  }

  async status(locations: string[]): Promise<LocationReplication[]> {
    if (locations.length === 0) return [];
    const { rows } = await sql<{
      location: string;
      pending: number | string;
      failed: number | string;
      oldest: number | string | null;
      bytes_copied: number | string | null;
      copies: number | string | null;
      backfill_done: boolean | null;
      backfill_queued: number | string | null;
      backfill_after: string | null;
    }>`
      select l.location,
        (select count(*) from blob_replication r where r.location = l.location and r.state = 'pending') as pending,
        (select count(*) from blob_replication r where r.location = l.location and r.state = 'failed') as failed,
        (select min(created_at_ms) from blob_replication r where r.location = l.location and r.state = 'pending') as oldest,
        s.bytes_copied, s.copies, s.backfill_done, s.backfill_queued, s.backfill_after
      from unnest(array[${sql.join(locations)}]::text[]) as l(location)
      left join replication_location s on s.location = l.location
      order by l.location`.execute(this.db);
    return rows.map((r) => ({
      location: r.location,
      pending: Number(r.pending),
      failed: Number(r.failed),
      oldestPendingMs: r.oldest === null ? null : Number(r.oldest),
      bytesCopied: Number(r.bytes_copied ?? 0),
      copies: Number(r.copies ?? 0),
      backfill: {
        done: r.backfill_done ?? false,
        queued: Number(r.backfill_queued ?? 0),
        after: r.backfill_after,
      },
    }));
  }

  async failures(limit: number, location?: string): Promise<FailedCopy[]> {
    let query = this.db
      .selectFrom('blob_replication')
      .select(['digest', 'location', 'attempts', 'last_error'])
      .where('state', '=', 'failed')
      .orderBy('location')
      .orderBy('digest')
      .limit(limit);
    if (location !== undefined) query = query.where('location', '=', location);
    const rows = await query.execute();
    return rows.map((r) => ({
      digest: r.digest,
      location: r.location,
      attempts: Number(r.attempts),
      error: r.last_error ?? '',
    }));
  }
}
