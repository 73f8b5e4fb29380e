import { sql, type Kysely, type Transaction } from 'kysely';
import type { LabelRecord, SetTagResult, TagEntry, TagQuery } from '../../ports/metadata-store.js';
import type { Database } from './schema.js';
import { assertMutable, type ImmutabilityRules } from './sql-immutability.js';
import { aliveAt } from './tag-lifetime.js';

/**
 * Tags and labels. A tag row is one lifetime of the tag: it is alive while
 * `lifetime_end_ms` is null or still in the future (an expiry set through
 * the API), and history once it has passed.
 */

type Db = Kysely<Database> | Transaction<Database>;

export { aliveAt } from './tag-lifetime.js';

/**
 * Moves a tag by ending its live rows and starting a new one. Writers of one
 * tag are serialized by a transaction-scoped advisory lock, so there is
 * never more than one live row per tag.
 */
export async function pointTag(
  trx: Transaction<Database>,
  repositoryId: number,
  tag: string,
  manifestId: number,
  nowMs: number,
  rules: ImmutabilityRules,
): Promise<SetTagResult> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`tag:${repositoryId}:${tag}`}, 0))`.execute(
    trx,
  );
  const live = await trx
    .selectFrom('tag')
    .select(['id', 'manifest_id'])
    .where('repository_id', '=', repositoryId)
    .where('name', '=', tag)
    .where((eb) => aliveAt(eb, nowMs))
    .execute();
  if (live.length === 1 && live[0]!.manifest_id === manifestId) return 'unchanged';
  if (live.length > 0) {
    await assertMutable(trx, repositoryId, [tag], nowMs, rules);
    await trx
      .updateTable('tag')
      .set({ lifetime_end_ms: nowMs })
      .where(
        'id',
        'in',
        live.map((l) => l.id),
      )
      .execute();
  }
  await trx
    .insertInto('tag')
    .values({
      repository_id: repositoryId,
      name: tag,
      manifest_id: manifestId,
      lifetime_start_ms: nowMs,
      lifetime_end_ms: null,
    })
    .execute();
  return live.length > 0 ? 'moved' : 'created';
}

export async function setTag(
  db: Kysely<Database>,
  repositoryId: number,
  tag: string,
  manifestDigest: string,
  nowMs: number,
  rules: ImmutabilityRules,
  { revive = false }: { revive?: boolean } = {},
): Promise<SetTagResult> {
  return db.transaction().execute(async (trx) => {
    // FOR SHARE: the manifest cannot be deleted under the new tag; FOR UPDATE
    // to revive one, which also waits for a collection that is removing it.
    let query = trx
      .selectFrom('manifest')
      .select(['id', 'deleted_at_ms'])
      .where('repository_id', '=', repositoryId)
      .where('digest', '=', manifestDigest);
    if (!revive) query = query.where('deleted_at_ms', 'is', null);
    const manifest = await (revive ? query.forUpdate() : query.forShare()).executeTakeFirst();
    if (!manifest) return 'no-manifest';
    if (manifest.deleted_at_ms !== null) {
      await trx
        .updateTable('manifest')
        .set({ deleted_at_ms: null })
        .where('id', '=', manifest.id)
        .execute();
    }
    return pointTag(trx, repositoryId, tag, manifest.id, nowMs, rules);
  });
}

export async function setTagExpiration(
  db: Db,
  repositoryId: number,
  tag: string,
  expiresAtMs: number | null,
  nowMs: number,
  rules: ImmutabilityRules,
): Promise<boolean> {
  if (expiresAtMs !== null && !rules.canExpire) {
    await assertMutable(db, repositoryId, [tag], nowMs, rules);
  }
  const result = await db
    .updateTable('tag')
    .set({ lifetime_end_ms: expiresAtMs })
    .where('repository_id', '=', repositoryId)
    .where('name', '=', tag)
    .where((eb) => aliveAt(eb, nowMs))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function listTagEntries(
  db: Db,
  repositoryId: number,
  q: TagQuery,
): Promise<TagEntry[]> {
  let query = db
    .selectFrom('tag')
    .innerJoin('manifest', 'manifest.id', 'tag.manifest_id')
    .select([
      'tag.name',
      'manifest.digest',
      'manifest.media_type',
      'manifest.layers_size',
      'tag.lifetime_start_ms',
      'tag.lifetime_end_ms',
    ])
    .where('tag.repository_id', '=', repositoryId)
    .orderBy('tag.lifetime_start_ms', 'desc')
    .orderBy('tag.id', 'desc')
    .offset(q.offset)
    .limit(q.limit);
  if (q.onlyActive) query = query.where((eb) => aliveAt(eb, q.nowMs));
  if (q.name !== undefined) query = query.where('tag.name', '=', q.name);
  if (q.nameContains !== undefined) {
    const escaped = q.nameContains.replace(/[\\%_]/g, (c) => `\\${c}`);
    query = query.where('tag.name', 'ilike', `%${escaped}%`);
  }
  return (await query.execute()).map((r) => ({
    name: r.name,
    manifestDigest: r.digest,
    mediaType: r.media_type,
    imageSize: r.layers_size === null ? null : Number(r.layers_size),
    startMs: r.lifetime_start_ms,
    endMs: r.lifetime_end_ms,
    immutable: false,
  }));
}

export async function listLabelsByDigest(
  db: Db,
  repositoryId: number,
  digests: string[],
): Promise<Map<string, LabelRecord[]>> {
  const byDigest = new Map<string, LabelRecord[]>();
  if (digests.length === 0) return byDigest;
  const rows = await db
    .selectFrom('manifest_label')
    .innerJoin('manifest', 'manifest.id', 'manifest_label.manifest_id')
    .select([
      'manifest.digest',
      'manifest_label.id',
      'manifest_label.key',
      'manifest_label.value',
      'manifest_label.media_type',
      'manifest_label.source_type',
    ])
    .where('manifest.repository_id', '=', repositoryId)
    .where('manifest.digest', 'in', [...new Set(digests)])
    .orderBy('manifest_label.created_at_ms')
    .orderBy('manifest_label.id')
    .execute();
  for (const r of rows) {
    const list = byDigest.get(r.digest) ?? [];
    list.push({
      id: r.id,
      key: r.key,
      value: r.value,
      mediaType: r.media_type,
      sourceType: r.source_type,
    });
    byDigest.set(r.digest, list);
  }
  return byDigest;
}

export async function listLabels(db: Db, manifestId: number): Promise<LabelRecord[]> {
  const rows = await db
    .selectFrom('manifest_label')
    .select(['id', 'key', 'value', 'media_type', 'source_type'])
    .where('manifest_id', '=', manifestId)
    .orderBy('created_at_ms')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    value: r.value,
    mediaType: r.media_type,
    sourceType: r.source_type,
  }));
}

export async function addLabel(db: Db, manifestId: number, label: LabelRecord, nowMs: number) {
  await db
    .insertInto('manifest_label')
    .values({
      id: label.id,
      manifest_id: manifestId,
      key: label.key,
      value: label.value,
      media_type: label.mediaType,
      source_type: label.sourceType,
      created_at_ms: nowMs,
    })
    .execute();
}

export async function deleteLabel(db: Db, manifestId: number, labelId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('manifest_label')
    .where('manifest_id', '=', manifestId)
    .where('id', '=', labelId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
