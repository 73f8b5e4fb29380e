import { sql, type Kysely, type Transaction } from 'kysely';
import type {
  BlobRecord,
  LabelRecord,
  ManifestRecord,
  MetadataStore,
  NewManifest,
  Page,
  PutManifestResult,
  QuotaExceeded,
  ReferrerRecord,
  RepositoryRecord,
  TagEntry,
  TagHistoryEntry,
  TagQuery,
  UploadClaim,
  UploadRecord,
  BlobPlacement,
  ClaimedUpload,
} from '../../ports/metadata-store.js';
import type { UploadState } from '../../ports/blob-store.js';
import { isForeignKeyViolation } from './identity/rows.js';
import { uploadRejection } from './quota-accounting.js';
import type { Database } from './schema.js';
import {
  addLabel,
  aliveAt,
  deleteLabel,
  listLabels,
  listLabelsByDigest,
  listTagEntries,
  setTag,
  setTagExpiration,
} from './sql-tags.js';
import {
  assertMutable,
  IMMUTABILITY_ON,
  immutableTags,
  type ImmutabilityRules,
} from './sql-immutability.js';
import * as uploads from './sql-uploads.js';
import { pushManifest } from './sql-manifest-push.js';
import { asBytes } from './sql-uploads.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The metadata store over any Postgres that Kysely reaches (PGlite, node-postgres, Data API). */
export interface SqlMetadataOptions {
  /**
   * Locations every blob is copied to (geo-replication); a copy is queued
   * for each that lacks the blob when it is first placed.
   */
  replicateTo?: readonly string[];
  /** False with quota management off (FEATURE_QUOTA_MANAGEMENT): no Reject limit refuses a push. */
  enforceQuotas?: boolean;
  /** Immutable tags (FEATURE_IMMUTABLE_TAGS): no write changes one. */
  immutability?: ImmutabilityRules;
}

export class SqlMetadataStore implements MetadataStore {
  private readonly replicateTo: readonly string[];
  private readonly enforceQuotas: boolean;
  private readonly immutability: ImmutabilityRules;

  constructor(
    private readonly db: Kysely<Database>,
    options: SqlMetadataOptions = {},
  ) {
    this.replicateTo = options.replicateTo ?? [];
    this.enforceQuotas = options.enforceQuotas ?? true;
    this.immutability = options.immutability ?? IMMUTABILITY_ON;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async findRepository(name: string): Promise<RepositoryRecord | null> {
    const row = await this.db
      .selectFrom('repository')
      .select(['id', 'name'])
      .where('name', '=', name)
      .executeTakeFirst();
    return row ?? null;
  }

  async ensureRepository(name: string, nowMs: number): Promise<RepositoryRecord> {
    const existing = await this.findRepository(name);
    if (existing) return existing;
    // Racing creators both land on the one row: the loser's insert does
    // nothing and the update-free select below finds the winner's.
    await this.db
      .insertInto('repository')
      .values({ name, created_at_ms: nowMs })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const created = await this.findRepository(name);
    if (!created) throw new Error(`repository ${name} vanished while being created`);
    return created;
  }

  async listRepositories(page: Page): Promise<string[]> {
    let query = this.db.selectFrom('repository').select('name').orderBy('name').limit(page.limit);
    if (page.after !== undefined) query = query.where('name', '>', page.after);
    return (await query.execute()).map((r) => r.name);
  }

  async findBlob(digest: string): Promise<BlobRecord | null> {
    const row = await this.db
      .selectFrom('blob')
      .innerJoin('blob_placement', 'blob_placement.digest', 'blob.digest')
      .select([
        'blob.digest',
        'blob.size',
        sql<BlobPlacement[]>`json_agg(json_build_object('location', blob_placement.location,
          'key', blob_placement.storage_key) order by blob_placement.location)`.as('placements'),
      ])
      .where('blob.digest', '=', digest)
      .groupBy(['blob.digest', 'blob.size'])
      .executeTakeFirst();
    return row ?? null;
  }

  async findRepositoryBlob(repositoryId: number, digest: string): Promise<BlobRecord | null> {
    const linked = await this.db
      .selectFrom('repository_blob')
      .select('digest')
      .where('repository_id', '=', repositoryId)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return linked ? this.findBlob(digest) : null;
  }

  async recordBlob(
    repositoryId: number,
    blob: { digest: string; size: number; location: string; key: string | null },
    nowMs: number,
  ): Promise<{ key: string | null }> {
    return this.db.transaction().execute(async (trx) => {
      await uploads.lockRepository(trx, repositoryId);
      const placed = await uploads.placeBlob(trx, blob, nowMs, this.replicateTo);
      await this.link(trx, repositoryId, blob.digest, nowMs);
      return placed;
    });
  }

  async linkBlob(repositoryId: number, digest: string, nowMs: number): Promise<boolean> {
    const exists = await this.db
      .selectFrom('blob')
      .select('digest')
      .where('digest', '=', digest)
      .executeTakeFirst();
    if (!exists) return false;
    try {
      await this.link(this.db, repositoryId, digest, nowMs);
    } catch (error) {
      // Garbage collection removed the blob between the check and the link.
      if (isForeignKeyViolation(error)) return false;
      throw error;
    }
    return true;
  }

  private async link(db: Db, repositoryId: number, digest: string, nowMs: number) {
    await db
      .insertInto('repository_blob')
      .values({ repository_id: repositoryId, digest, created_at_ms: nowMs })
      .onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing())
      .execute();
  }

  async touchBlob(blob: { digest: string; size: number }, nowMs: number): Promise<void> {
    await this.db
      .insertInto('blob')
      .values({ digest: blob.digest, size: blob.size, created_at_ms: nowMs, last_pushed_ms: nowMs })
      .onConflict((oc) => oc.column('digest').doUpdateSet({ last_pushed_ms: nowMs }))
      .execute();
  }

  async timeMachineWindowMs(repositoryId: number): Promise<number | null> {
    const row = await this.db
      .selectFrom('repository')
      .innerJoin('account', 'account.id', 'repository.namespace_id')
      .select('account.tag_expiration_s')
      .where('repository.id', '=', repositoryId)
      .executeTakeFirst();
    return row?.tag_expiration_s == null ? null : Number(row.tag_expiration_s) * 1000;
  }

  async quotaRejection(repositoryId: number): Promise<QuotaExceeded | null> {
    return this.enforceQuotas ? uploadRejection(this.db, repositoryId) : null;
  }

  async unlinkBlob(repositoryId: number, digest: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('repository_blob')
      .where('repository_id', '=', repositoryId)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  createUpload(upload: UploadRecord, claim?: UploadClaim): Promise<void> {
    return uploads.createUpload(this.db, upload, claim);
  }

  findUpload(repositoryId: number, id: string): Promise<UploadRecord | null> {
    return uploads.findUpload(this.db, repositoryId, id);
  }

  claimUpload(
    repositoryId: number,
    id: string,
    claim: UploadClaim,
    staleBeforeMs?: number,
  ): Promise<ClaimedUpload | null> {
    return uploads.claimUpload(this.db, repositoryId, id, claim, staleBeforeMs);
  }

  renewUploadClaim(id: string, token: string, untilMs: number, nowMs: number): Promise<boolean> {
    return uploads.renewUploadClaim(this.db, id, token, untilMs, nowMs);
  }

  commitUploadAppend(
    id: string,
    token: string,
    append: { size: number; state: UploadState; digestState: Uint8Array | null },
    nowMs: number,
  ): Promise<boolean> {
    return uploads.commitUploadAppend(this.db, id, token, append, nowMs);
  }

  releaseUpload(id: string, token: string): Promise<void> {
    return uploads.releaseUpload(this.db, id, token);
  }

  publishUpload(
    id: string,
    token: string,
    blob: { digest: string; size: number; location: string; key: string | null },
    nowMs: number,
  ): Promise<{ key: string | null } | null> {
    return uploads.publishHeldUpload(this.db, id, token, blob, nowMs, this.replicateTo);
  }

  deleteUpload(id: string, token?: string): Promise<UploadRecord | null> {
    return uploads.deleteUpload(this.db, id, token);
  }

  listStaleUploads(location: string, beforeMs: number, limit: number): Promise<UploadRecord[]> {
    return uploads.listStaleUploads(this.db, location, beforeMs, limit);
  }

  putManifest(m: NewManifest): Promise<PutManifestResult> {
    return pushManifest(this.db, m, {
      enforceQuotas: this.enforceQuotas,
      immutability: this.immutability,
    });
  }

  private manifestColumns = [
    'manifest.id',
    'manifest.digest',
    'manifest.media_type',
    'manifest.size',
    'manifest.content',
    'manifest.subject_digest',
  ] as const;

  private toManifest(row: {
    id: number;
    digest: string;
    media_type: string;
    size: number;
    content: Uint8Array | null;
    subject_digest: string | null;
  }): ManifestRecord {
    return {
      id: row.id,
      digest: row.digest,
      mediaType: row.media_type,
      size: row.size,
      content: row.content && asBytes(row.content),
      subjectDigest: row.subject_digest,
    };
  }

  async findManifest(repositoryId: number, digest: string): Promise<ManifestRecord | null> {
    const row = await this.db
      .selectFrom('manifest')
      .select(this.manifestColumns)
      .where('repository_id', '=', repositoryId)
      .where('digest', '=', digest)
      .where('deleted_at_ms', 'is', null)
      .executeTakeFirst();
    return row ? this.toManifest(row) : null;
  }

  async resolveTag(
    repositoryId: number,
    tag: string,
    nowMs: number,
  ): Promise<ManifestRecord | null> {
    const row = await this.db
      .selectFrom('tag')
      .innerJoin('manifest', 'manifest.id', 'tag.manifest_id')
      .select(this.manifestColumns)
      .where('tag.repository_id', '=', repositoryId)
      .where('tag.name', '=', tag)
      .where((eb) => aliveAt(eb, nowMs))
      .orderBy('tag.lifetime_start_ms', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? this.toManifest(row) : null;
  }

  async deleteManifest(repositoryId: number, digest: string, nowMs: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const deleted = await trx
        .updateTable('manifest')
        .set({ deleted_at_ms: nowMs })
        .where('repository_id', '=', repositoryId)
        .where('digest', '=', digest)
        .where('deleted_at_ms', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (!deleted) return false;
      // A manifest that an immutable tag points at stays, and so does the tag.
      const tagged = await trx
        .selectFrom('tag')
        .select('name')
        .where('manifest_id', '=', deleted.id)
        .where((eb) => aliveAt(eb, nowMs))
        .execute();
      await assertMutable(
        trx,
        repositoryId,
        tagged.map((t) => t.name),
        nowMs,
        this.immutability,
      );
      await trx
        .updateTable('tag')
        .set({ lifetime_end_ms: nowMs })
        .where('manifest_id', '=', deleted.id)
        .where((eb) => aliveAt(eb, nowMs))
        .execute();
      return true;
    });
  }

  async deleteTag(repositoryId: number, tag: string, nowMs: number): Promise<boolean> {
    await assertMutable(this.db, repositoryId, [tag], nowMs, this.immutability);
    const result = await this.db
      .updateTable('tag')
      .set({ lifetime_end_ms: nowMs })
      .where('repository_id', '=', repositoryId)
      .where('name', '=', tag)
      .where((eb) => aliveAt(eb, nowMs))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * A page of live tags, reading no more rows than the page holds. A live tag
   * has no end (the partial index `tag_live_name` holds exactly those, in
   * name order) or an end still to come (an expiring tag: few, found by
   * `tag_ended`). Filtering every row of the repository instead reads its
   * whole tag history, which grows with every push.
   */
  async listTags(repositoryId: number, page: Page, nowMs: number): Promise<string[]> {
    const after = page.after === undefined ? sql`` : sql`and name > ${page.after}`;
    const { rows } = await sql<{ name: string }>`
      select name from (
        (select name from tag
          where repository_id = ${repositoryId} and lifetime_end_ms is null ${after}
          order by name limit ${page.limit})
        union
        (select name from tag
          where repository_id = ${repositoryId} and lifetime_end_ms > ${nowMs} ${after}
          order by name limit ${page.limit})
      ) live
      order by name
      limit ${page.limit}`.execute(this.db);
    return rows.map((r) => r.name);
  }

  async tagHistory(repositoryId: number, tag: string): Promise<TagHistoryEntry[]> {
    const rows = await this.db
      .selectFrom('tag')
      .innerJoin('manifest', 'manifest.id', 'tag.manifest_id')
      .select(['tag.name', 'manifest.digest', 'tag.lifetime_start_ms', 'tag.lifetime_end_ms'])
      .where('tag.repository_id', '=', repositoryId)
      .where('tag.name', '=', tag)
      .orderBy('tag.lifetime_start_ms', 'desc')
      .orderBy('tag.id', 'desc')
      .execute();
    return rows.map((r) => ({
      name: r.name,
      manifestDigest: r.digest,
      startMs: r.lifetime_start_ms,
      endMs: r.lifetime_end_ms,
    }));
  }

  async listTagEntries(repositoryId: number, query: TagQuery): Promise<TagEntry[]> {
    const entries = await listTagEntries(this.db, repositoryId, query);
    const live = entries
      .filter((e) => e.endMs === null || e.endMs > query.nowMs)
      .map((e) => e.name);
    const immutable = await immutableTags(
      this.db,
      repositoryId,
      query.nowMs,
      this.immutability,
      live,
    );
    return entries.map((e) =>
      immutable.has(e.name) && (e.endMs === null || e.endMs > query.nowMs)
        ? { ...e, immutable: true }
        : e,
    );
  }

  setTag(
    repositoryId: number,
    tag: string,
    manifestDigest: string,
    nowMs: number,
    options: { revive?: boolean } = {},
  ) {
    return setTag(this.db, repositoryId, tag, manifestDigest, nowMs, this.immutability, options);
  }

  setTagExpiration(repositoryId: number, tag: string, expiresAtMs: number | null, nowMs: number) {
    return setTagExpiration(this.db, repositoryId, tag, expiresAtMs, nowMs, this.immutability);
  }

  listLabels(manifestId: number): Promise<LabelRecord[]> {
    return listLabels(this.db, manifestId);
  }

  listLabelsByDigest(repositoryId: number, digests: string[]) {
    return listLabelsByDigest(this.db, repositoryId, digests);
  }

  addLabel(manifestId: number, label: LabelRecord, nowMs: number): Promise<void> {
    return addLabel(this.db, manifestId, label, nowMs);
  }

  deleteLabel(manifestId: number, labelId: string): Promise<boolean> {
    return deleteLabel(this.db, manifestId, labelId);
  }

  async listReferrers(
    repositoryId: number,
    subjectDigest: string,
    artifactType?: string,
  ): Promise<ReferrerRecord[]> {
    let query = this.db
      .selectFrom('manifest')
      .select(['digest', 'media_type', 'size', 'artifact_type', 'annotations'])
      .where('repository_id', '=', repositoryId)
      .where('subject_digest', '=', subjectDigest)
      .where('deleted_at_ms', 'is', null)
      .orderBy('id');
    if (artifactType !== undefined) query = query.where('artifact_type', '=', artifactType);
    return (await query.execute()).map((r) => ({
      digest: r.digest,
      mediaType: r.media_type,
      size: r.size,
      artifactType: r.artifact_type,
      annotations: r.annotations,
    }));
  }
}
