import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { GarbageManifest, GarbageStore, TimeMachine } from '../../ports/garbage-store.js';
import type { BlobPlacement } from '../../ports/metadata-store.js';
import { lockSizes, manifestContent, releaseContent } from './quota-accounting.js';
import type { Database } from './schema.js';

/**
 * Garbage collection over SQL.
 *
 * Marking is a query; sweeping re-checks each candidate with it locked, in a
 * statement that starts after the lock was granted, so under READ COMMITTED
 * it sees whatever a racing push committed first:
 * - a manifest is locked `FOR UPDATE`, which waits for a push that shares it
 *   (`FOR SHARE` on index children, the upsert of a re-push, a tag move);
 * - a blob's repository links and then its row are locked `FOR UPDATE`,
 *   which waits for a manifest push that checked them `FOR SHARE` and for
 *   `touchBlob`.
 * A push that comes after the lock waits for the sweep to commit and then
 * finds the row gone: it fails with "blob unknown" or uploads the bytes
 * again, and never stores a manifest whose blob is missing.
 */

/** The namespace's window: its own `tag_expiration_s`, or the default. */
const windowOf = (at: TimeMachine) =>
  sql<number>`coalesce(a.tag_expiration_s::bigint * 1000, ${at.defaultWindowMs}::bigint)`;

/** Whether manifest `m` (joined to its repository `r` and namespace `a`) is garbage. */
function manifestIsGarbage(at: TimeMachine): RawBuilder<boolean> {
  return sql<boolean>`m.created_at_ms < ${at.nowMs}::bigint - ${windowOf(at)}
    and not exists (select 1 from tag t where t.manifest_id = m.id)
    and not exists (select 1 from manifest_child c where c.child_id = m.id)
    and not (m.subject_digest is not null and exists (
      select 1 from manifest s
      where s.repository_id = m.repository_id and s.digest = m.subject_digest))`;
}

function blobIsGarbage(cutoffMs: number): RawBuilder<boolean> {
  return sql<boolean>`coalesce(b.last_pushed_ms, b.created_at_ms) < ${cutoffMs}::bigint
    and not exists (select 1 from manifest_blob mb where mb.digest = b.digest)
    and not exists (
      select 1 from repository_blob rb where rb.digest = b.digest and rb.created_at_ms >= ${cutoffMs}::bigint)`;
}

const digestList = (digests: string[]) => sql.join(digests.map((d) => sql`${d}::text`));
const idList = (ids: number[]) => sql.join(ids.map((id) => sql`${id}::bigint`));

export class SqlGarbageStore implements GarbageStore {
  constructor(private readonly db: Kysely<Database>) {}

  async removeExpiredTagHistory(at: TimeMachine, limit: number): Promise<number> {
    const { rows } = await sql<{ id: number }>`
      delete from tag where id in (
        select t.id from tag t
          join repository r on r.id = t.repository_id
          left join account a on a.id = r.namespace_id
        where t.lifetime_end_ms is not null
          and t.lifetime_end_ms < ${at.nowMs}::bigint - ${windowOf(at)}
        limit ${limit})
      returning id`.execute(this.db);
    return rows.length;
  }

  async listGarbageManifests(
    at: TimeMachine,
    afterId: number,
    limit: number,
  ): Promise<GarbageManifest[]> {
    const { rows } = await sql<{ id: number; repository_id: number }>`
      select m.id, m.repository_id from manifest m
        join repository r on r.id = m.repository_id
        left join account a on a.id = r.namespace_id
      where m.id > ${afterId}::bigint and ${manifestIsGarbage(at)}
      order by m.id limit ${limit}`.execute(this.db);
    return rows.map((r) => ({ id: Number(r.id), repositoryId: Number(r.repository_id) }));
  }

  async collectManifests(repositoryId: number, ids: number[], at: TimeMachine): Promise<number> {
    if (ids.length === 0) return 0;
    return this.db.transaction().execute(async (trx) => {
      // Sizes before manifests: the order every content writer locks in.
      const sizes = await lockSizes(trx, repositoryId);
      const locked = await sql<{ id: number }>`
        select id from manifest where repository_id = ${repositoryId}::bigint and id in (${idList(ids)})
        order by id for update`.execute(trx);
      if (locked.rows.length === 0) return 0;
      const { rows } = await sql<{ id: number }>`
        select m.id from manifest m
          join repository r on r.id = m.repository_id
          left join account a on a.id = r.namespace_id
        where m.id in (${idList(locked.rows.map((r) => Number(r.id)))}) and ${manifestIsGarbage(at)}`.execute(
        trx,
      );
      const garbage = rows.map((r) => Number(r.id));
      if (garbage.length === 0) return 0;
      const content = await manifestContent(trx, garbage);
      await trx.deleteFrom('manifest').where('id', 'in', garbage).execute();
      await releaseContent(trx, sizes, repositoryId, content);
      return garbage.length;
    });
  }

  async listGarbageBlobs(cutoffMs: number, afterDigest: string, scan: number) {
    // A page of the primary key first, then the test on that page only: the
    // planner cannot turn the walk into a scan of every blob per page.
    const { rows } = await sql<{ digest: string; garbage: boolean }>`
      select b.digest, (${blobIsGarbage(cutoffMs)}) as garbage
      from (select digest from blob where digest > ${afterDigest} order by digest limit ${scan}) page
      join blob b on b.digest = page.digest
      order by b.digest`.execute(this.db);
    return {
      digests: rows.filter((r) => r.garbage).map((r) => r.digest),
      next: rows.length < scan ? null : rows[rows.length - 1]!.digest,
    };
  }

  async collectBlobs(
    digests: string[],
    cutoffMs: number,
    deleteBytes: (blobs: { digest: string; placements: BlobPlacement[] }[]) => Promise<void>,
  ): Promise<string[]> {
    if (digests.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      // Links first, then blobs: the order a manifest push takes them in
      // (links FOR SHARE, then the blob rows its references point at), and
      // each sorted by digest, so sweeps and pushes never deadlock.
      await sql`select 1 from repository_blob where digest in (${digestList(digests)})
        order by digest, repository_id for update`.execute(trx);
      // Another collector holding some of them: skip those, it sweeps them.
      const locked = await sql<{ digest: string }>`
        select digest from blob where digest in (${digestList(digests)})
        order by digest for update skip locked`.execute(trx);
      if (locked.rows.length === 0) return [];
      const held = digestList(locked.rows.map((r) => r.digest));
      const { rows } = await sql<{ digest: string; placements: BlobPlacement[] | null }>`
        select b.digest,
          (select json_agg(json_build_object('location', p.location, 'key', p.storage_key)
             order by p.location) from blob_placement p
           where p.digest = b.digest) as placements
        from blob b where b.digest in (${held}) and ${blobIsGarbage(cutoffMs)}`.execute(trx);
      if (rows.length === 0) return [];
      // Bytes first, rows last, all under the locks: if deleting bytes fails
      // the rows stay, and the next run tries again.
      await deleteBytes(rows.map((r) => ({ digest: r.digest, placements: r.placements ?? [] })));
      const garbage = rows.map((r) => r.digest);
      await trx.deleteFrom('repository_blob').where('digest', 'in', garbage).execute();
      await trx.deleteFrom('blob').where('digest', 'in', garbage).execute();
      return garbage;
    });
  }

  async adoptStoredBlobs(
    location: string,
    blobs: { digest: string; size: number; storedAtMs: number }[],
  ): Promise<number> {
    if (blobs.length === 0) return 0;
    // Nearly every object listed is already placed: look first, so a sweep
    // of a full location reads the index rather than attempting each insert.
    const placedHere = await this.db
      .selectFrom('blob_placement')
      .select('digest')
      .where('location', '=', location)
      .where(
        'digest',
        'in',
        blobs.map((b) => b.digest),
      )
      .execute();
    const known = new Set(placedHere.map((r) => r.digest));
    const strays = blobs.filter((b) => !known.has(b.digest));
    if (strays.length === 0) return 0;
    await this.db
      .insertInto('blob')
      .values(
        strays.map((b) => ({
          digest: b.digest,
          size: b.size,
          created_at_ms: b.storedAtMs,
          last_pushed_ms: b.storedAtMs,
        })),
      )
      .onConflict((oc) => oc.column('digest').doNothing())
      .execute();
    const placed = await this.db
      .insertInto('blob_placement')
      .values(
        strays.map((b) => ({
          digest: b.digest,
          location,
          created_at_ms: b.storedAtMs,
          storage_key: null,
        })),
      )
      .onConflict((oc) => oc.columns(['digest', 'location']).doNothing())
      .executeTakeFirst();
    return Number(placed.numInsertedOrUpdatedRows ?? 0n);
  }

  async missingUploads(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const present = await this.db
      .selectFrom('blob_upload')
      .select('id')
      .where('id', 'in', ids)
      .execute();
    const known = new Set(present.map((r) => r.id));
    return ids.filter((id) => !known.has(id));
  }

  async unplacedKeys(location: string, keys: string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const placed = await this.db
      .selectFrom('blob_placement')
      .select('storage_key')
      .where('location', '=', location)
      .where('storage_key', 'in', keys)
      .execute();
    const known = new Set(placed.map((r) => r.storage_key));
    return keys.filter((key) => !known.has(key));
  }
}
