import { sql, type Kysely, type RawBuilder, type Selectable, type Transaction } from 'kysely';
import type { UploadState } from '../../ports/blob-store.js';
import type { ClaimedUpload, UploadClaim, UploadRecord } from '../../ports/metadata-store.js';
import { RepositoryGoneError } from '../../ports/errors.js';
import { isForeignKeyViolation } from './identity/rows.js';
import type { BlobUploadTable, Database } from './schema.js';

/**
 * Upload sessions. The row is the session's commit point, and a request
 * holds it with a claim: the conditional `update` below is what makes two
 * processes appending to one session a clean refusal instead of a lost
 * part. A claim ends with the request, or lapses at `claimed_until_ms` when
 * its process died (a live one renews it).
 */

type Db = Kysely<Database> | Transaction<Database>;

/** A blob as recorded in one location: under `key`, or its canonical key when null. */
type PlacedBlob = { digest: string; size: number; location: string; key: string | null };

const UPLOAD_COLUMNS = [
  'id',
  'repository_id',
  'location',
  'size',
  'created_at_ms',
  'store_state',
  'digest_state',
] as const;

type UploadRow = Pick<Selectable<BlobUploadTable>, (typeof UPLOAD_COLUMNS)[number]>;

/** PGlite hands back `Uint8Array`, node-postgres a `Buffer`; callers see plain bytes either way. */
export const asBytes = (value: Uint8Array): Uint8Array =>
  Buffer.isBuffer(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value;

export function toUpload(row: UploadRow): UploadRecord {
  return {
    id: row.id,
    repositoryId: row.repository_id,
    location: row.location,
    size: row.size,
    createdAtMs: row.created_at_ms,
    state: (row.store_state as UploadState) ?? null,
    digestState: row.digest_state ? asBytes(row.digest_state) : null,
  };
}

export async function createUpload(
  db: Db,
  upload: UploadRecord,
  claim?: UploadClaim,
): Promise<void> {
  await db
    .insertInto('blob_upload')
    .values({
      id: upload.id,
      repository_id: upload.repositoryId,
      location: upload.location,
      size: upload.size,
      created_at_ms: upload.createdAtMs,
      updated_at_ms: upload.createdAtMs,
      store_state: upload.state as Record<string, unknown> | null,
      digest_state: upload.digestState,
      claim_token: claim?.token ?? null,
      claimed_until_ms: claim?.untilMs ?? null,
    })
    .execute()
    .catch((error: unknown) => {
      throw isForeignKeyViolation(error) ? new RepositoryGoneError(upload.repositoryId) : error;
    });
}

/**
 * Holds the repository row against deletion until the transaction ends, or
 * reports it gone. Deleting a repository locks its size rows, then its row,
 * then every row that cascades from it; a writer takes the same order (size
 * rows, if it needs them, then this), or the two deadlock.
 */
export async function lockRepository(
  trx: Transaction<Database>,
  repositoryId: number,
): Promise<{ namespaceId: number | null }> {
  const row = await trx
    .selectFrom('repository')
    .select('namespace_id')
    .where('id', '=', repositoryId)
    .forKeyShare()
    .executeTakeFirst();
  if (!row) throw new RepositoryGoneError(repositoryId);
  return { namespaceId: row.namespace_id };
}

export async function findUpload(
  db: Db,
  repositoryId: number,
  id: string,
): Promise<UploadRecord | null> {
  const row = await db
    .selectFrom('blob_upload')
    .select(UPLOAD_COLUMNS)
    .where('id', '=', id)
    .where('repository_id', '=', repositoryId)
    .executeTakeFirst();
  return row ? toUpload(row) : null;
}

/**
 * Queues a copy of each blob `blobs` names (rows with a `digest`) to each
 * of `targets` that neither holds it nor waits for it already.
 */
function queueCopies(
  blobs: RawBuilder<unknown>,
  targets: readonly string[],
  nowMs: number,
): RawBuilder<unknown> {
  return sql`insert into blob_replication (digest, location, state, next_attempt_ms, created_at_ms)
    select b.digest, t.location, 'pending', ${nowMs}, ${nowMs}
    from ${blobs} as b, unnest(array[${sql.join(targets)}]::text[]) as t(location)
    where not exists (select 1 from blob_placement p
                      where p.digest = b.digest and p.location = t.location)
    on conflict (digest, location) do nothing`;
}

/**
 * Ends a session this request holds and records its blob, in one
 * statement, so in one round trip and with no transaction held open
 * between statements: the session's row goes, with its repository's row
 * locked (FOR KEY SHARE, by the sub-select, before the session's row goes,
 * so a deletion of the repository waits for this statement or went first
 * and took the session with it); the blob's row, its placement and its
 * link to the repository come; and copies to `replicateTo` are queued as
 * `placeBlob` queues them. With the session gone already (a hold lost, a
 * cancel, the repository deleted) nothing changes and the answer is null.
 * Otherwise the key readers use: this upload's, or the one an earlier
 * upload of the same bytes recorded first.
 */
export async function publishHeldUpload(
  db: Db,
  id: string,
  token: string,
  blob: PlacedBlob,
  nowMs: number,
  replicateTo: readonly string[] = [],
): Promise<{ key: string | null } | null> {
  const { rows } = await sql<{ ended: boolean; placed: boolean; storage_key: string | null }>`
    with ended as (
      delete from blob_upload
      where id = ${id} and claim_token = ${token}
        and repository_id = (select r.id from repository r
                             where r.id = blob_upload.repository_id for key share)
      returning repository_id),
    ${placing(blob, nowMs, replicateTo, sql`from ended`)},
    linked as (
      insert into repository_blob (repository_id, digest, created_at_ms)
      select ended.repository_id, pushed.digest, ${nowMs} from ended, pushed
      on conflict (repository_id, digest) do nothing)
    select exists (select 1 from ended) as ended, exists (select 1 from placed) as placed,
      (select storage_key from placed) as storage_key`.execute(db);
  const row = rows[0]!;
  if (!row.ended) return null;
  return row.placed ? { key: row.storage_key } : earlierKey(db, blob);
}

export async function claimUpload(
  db: Db,
  repositoryId: number,
  id: string,
  claim: UploadClaim,
  staleBeforeMs?: number,
): Promise<ClaimedUpload | null> {
  let update = db
    .updateTable('blob_upload')
    .set({ claim_token: claim.token, claimed_until_ms: claim.untilMs, updated_at_ms: claim.nowMs })
    .where('id', '=', id)
    .where('repository_id', '=', repositoryId)
    .where((eb) =>
      eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<=', claim.nowMs)]),
    );
  if (staleBeforeMs !== undefined) update = update.where('updated_at_ms', '<', staleBeforeMs);
  const row = await update.returning(UPLOAD_COLUMNS).executeTakeFirst();
  if (row) return { kind: 'claimed', upload: toUpload(row) };
  const held = await findUpload(db, repositoryId, id);
  if (!held || staleBeforeMs !== undefined) return null;
  return { kind: 'busy', size: held.size };
}

export async function renewUploadClaim(
  db: Db,
  id: string,
  token: string,
  untilMs: number,
  nowMs: number,
): Promise<boolean> {
  const result = await db
    .updateTable('blob_upload')
    .set({ claimed_until_ms: untilMs, updated_at_ms: nowMs })
    .where('id', '=', id)
    .where('claim_token', '=', token)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function commitUploadAppend(
  db: Db,
  id: string,
  token: string,
  append: { size: number; state: UploadState; digestState: Uint8Array | null },
  nowMs: number,
): Promise<boolean> {
  const result = await db
    .updateTable('blob_upload')
    .set({
      size: append.size,
      store_state: append.state as Record<string, unknown> | null,
      digest_state: append.digestState,
      updated_at_ms: nowMs,
      claim_token: null,
      claimed_until_ms: null,
    })
    .where('id', '=', id)
    .where('claim_token', '=', token)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function releaseUpload(db: Db, id: string, token: string): Promise<void> {
  await db
    .updateTable('blob_upload')
    .set({ claim_token: null, claimed_until_ms: null })
    .where('id', '=', id)
    .where('claim_token', '=', token)
    .execute();
}

export async function deleteUpload(
  db: Db,
  id: string,
  token?: string,
): Promise<UploadRecord | null> {
  let query = db.deleteFrom('blob_upload').where('id', '=', id);
  if (token !== undefined) query = query.where('claim_token', '=', token);
  const row = await query.returning(UPLOAD_COLUMNS).executeTakeFirst();
  return row ? toUpload(row) : null;
}

export async function listStaleUploads(
  db: Db,
  location: string,
  beforeMs: number,
  limit: number,
): Promise<UploadRecord[]> {
  const rows = await db
    .selectFrom('blob_upload')
    .select(UPLOAD_COLUMNS)
    .where('location', '=', location)
    .where('updated_at_ms', '<', beforeMs)
    .orderBy('updated_at_ms')
    .limit(limit)
    .execute();
  return rows.map(toUpload);
}

/**
 * Records that `blob.location` holds the blob, keeping an earlier record:
 * two uploads of the same bytes may finish at once, and the first recorded
 * key is the one readers use (the caller removes its own copy). In the same
 * transaction it queues a copy to each of `replicateTo` that neither holds
 * the blob nor waits for it already: a process that dies after the commit
 * loses no copy.
 */
export async function placeBlob(
  trx: Transaction<Database>,
  blob: PlacedBlob,
  nowMs: number,
  replicateTo: readonly string[] = [],
): Promise<{ key: string | null }> {
  const { rows } = await sql<{ storage_key: string | null }>`
    with ${placing(blob, nowMs, replicateTo)} select storage_key from placed`.execute(trx);
  return rows[0] ? { key: rows[0].storage_key } : earlierKey(trx, blob);
}

/**
 * Common table expressions that record a blob: `pushed`, its row (or its
 * last push time, if it has one), fed by `from`; `placed`, its placement
 * unless one was recorded before (empty then); and the copies to
 * `replicateTo` that `queueCopies` queues. The placement's foreign key is
 * checked at the statement's end, with the row in place.
 */
function placing(
  blob: PlacedBlob,
  nowMs: number,
  replicateTo: readonly string[],
  from: RawBuilder<unknown> = sql``,
): RawBuilder<unknown> {
  const targets = replicateTo.filter((l) => l !== blob.location);
  const queued =
    targets.length === 0 ? sql`` : sql`, queued as (${queueCopies(sql`pushed`, targets, nowMs)})`;
  return sql`pushed as (
      insert into blob (digest, size, created_at_ms, last_pushed_ms)
      select ${blob.digest}, ${blob.size}, ${nowMs}, ${nowMs} ${from}
      on conflict (digest) do update set last_pushed_ms = ${nowMs}
      returning digest),
    placed as (
      insert into blob_placement (digest, location, created_at_ms, storage_key)
      select digest, ${blob.location}, ${nowMs}, ${blob.key}::text from pushed
      on conflict (digest, location) do nothing
      returning storage_key)${queued}`;
}

/**
 * The key of a placement another upload of the same bytes recorded first:
 * its copy is the one readers use. Read in a statement of its own, since
 * the one that found it may have waited for that upload to commit, after
 * its snapshot was taken.
 */
async function earlierKey(db: Db, blob: PlacedBlob): Promise<{ key: string | null }> {
  const { rows } = await sql<{ storage_key: string | null }>`
    select storage_key from blob_placement
    where digest = ${blob.digest} and location = ${blob.location}`.execute(db);
  return { key: rows[0]?.storage_key ?? null };
}
