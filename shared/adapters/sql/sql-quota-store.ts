import { sql, type Kysely } from 'kysely';
import {
  QuotaExistsError,
  QuotaLimitExistsError,
  type ContentSize,
  type NamespaceQuotaRecord,
  type QuotaLimitRecord,
  type QuotaStore,
  type RegistrySize,
} from '../../ports/quota-store.js';
import type { QuotaExceeded } from '../../ports/metadata-store.js';
import type { QuotaLimitKind } from '../../registry/quota-policy.js';
import { isUniqueViolation } from './identity/rows.js';
import { namespaceUploadRejection, recount, recountEach } from './quota-accounting.js';
import type { Database } from './schema.js';

const toLimit = (r: { id: number; kind: QuotaLimitKind; threshold_percent: number }) => ({
  id: Number(r.id),
  kind: r.kind,
  thresholdPercent: r.threshold_percent,
});

export class SqlQuotaStore implements QuotaStore {
  constructor(
    private readonly db: Kysely<Database>,
    /** False with quota management off (FEATURE_QUOTA_MANAGEMENT): no limit refuses anything. */
    private readonly enforce = true,
  ) {}

  async findQuota(namespaceId: number): Promise<NamespaceQuotaRecord | null> {
    const quota = await this.db
      .selectFrom('namespace_quota')
      .select(['id', 'namespace_id', 'limit_bytes'])
      .where('namespace_id', '=', namespaceId)
      .executeTakeFirst();
    if (!quota) return null;
    const limits = await this.db
      .selectFrom('quota_limit')
      .select(['id', 'kind', 'threshold_percent'])
      .where('quota_id', '=', quota.id)
      .orderBy('id')
      .execute();
    return {
      id: Number(quota.id),
      namespaceId: Number(quota.namespace_id),
      limitBytes: Number(quota.limit_bytes),
      limits: limits.map(toLimit),
    };
  }

  async createQuota(
    namespaceId: number,
    limitBytes: number,
    nowMs: number,
  ): Promise<NamespaceQuotaRecord> {
    try {
      const { id } = await this.db
        .insertInto('namespace_quota')
        .values({ namespace_id: namespaceId, limit_bytes: limitBytes, created_at_ms: nowMs })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id: Number(id), namespaceId, limitBytes, limits: [] };
    } catch (error) {
      if (isUniqueViolation(error)) throw new QuotaExistsError();
      throw error;
    }
  }

  async setQuotaLimitBytes(quotaId: number, limitBytes: number): Promise<void> {
    await this.db
      .updateTable('namespace_quota')
      .set({ limit_bytes: limitBytes })
      .where('id', '=', quotaId)
      .execute();
  }

  async deleteQuota(quotaId: number): Promise<void> {
    await this.db.deleteFrom('namespace_quota').where('id', '=', quotaId).execute();
  }

  async addLimit(
    quotaId: number,
    kind: QuotaLimitKind,
    thresholdPercent: number,
  ): Promise<QuotaLimitRecord> {
    try {
      const row = await this.db
        .insertInto('quota_limit')
        .values({ quota_id: quotaId, kind, threshold_percent: thresholdPercent })
        .returning(['id', 'kind', 'threshold_percent'])
        .executeTakeFirstOrThrow();
      return toLimit(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new QuotaLimitExistsError();
      throw error;
    }
  }

  async updateLimit(quotaId: number, limit: QuotaLimitRecord): Promise<void> {
    try {
      await this.db
        .updateTable('quota_limit')
        .set({ kind: limit.kind, threshold_percent: limit.thresholdPercent })
        .where('quota_id', '=', quotaId)
        .where('id', '=', limit.id)
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new QuotaLimitExistsError();
      throw error;
    }
  }

  async deleteLimit(quotaId: number, limitId: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom('quota_limit')
      .where('quota_id', '=', quotaId)
      .where('id', '=', limitId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async uploadRejection(namespaceId: number): Promise<QuotaExceeded | null> {
    return this.enforce ? namespaceUploadRejection(this.db, namespaceId) : null;
  }

  async namespaceSize(namespaceId: number): Promise<ContentSize> {
    const row = await this.db
      .selectFrom('quota_namespace_size')
      .select(['size_bytes', 'backfilled'])
      .where('namespace_id', '=', namespaceId)
      .executeTakeFirst();
    // No row: nothing was ever pushed there since sizes were kept.
    return row ? { sizeBytes: Number(row.size_bytes), backfilled: row.backfilled } : EMPTY;
  }

  async repositorySize(repositoryId: number): Promise<ContentSize> {
    const row = await this.db
      .selectFrom('quota_repository_size')
      .select(['size_bytes', 'backfilled'])
      .where('repository_id', '=', repositoryId)
      .executeTakeFirst();
    return row ? { sizeBytes: Number(row.size_bytes), backfilled: row.backfilled } : EMPTY;
  }

  async repositorySizes(repositoryIds: number[]): Promise<Map<number, ContentSize>> {
    const sizes = new Map<number, ContentSize>(repositoryIds.map((id) => [id, EMPTY]));
    if (repositoryIds.length === 0) return sizes;
    const rows = await this.db
      .selectFrom('quota_repository_size')
      .select(['repository_id', 'size_bytes', 'backfilled'])
      .where('repository_id', 'in', repositoryIds)
      .execute();
    for (const row of rows) {
      sizes.set(Number(row.repository_id), {
        sizeBytes: Number(row.size_bytes),
        backfilled: row.backfilled,
      });
    }
    return sizes;
  }

  async registrySize(): Promise<RegistrySize> {
    const row = await this.db
      .selectFrom('quota_registry_size')
      .select(['size_bytes', 'last_ran_ms', 'queued', 'running'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return {
      sizeBytes: Number(row.size_bytes),
      lastRanMs: row.last_ran_ms === null ? null : Number(row.last_ran_ms),
      queued: row.queued,
      running: row.running,
    };
  }

  async queueRegistrySize(): Promise<void> {
    await this.db
      .updateTable('quota_registry_size')
      .set({ queued: true })
      .where('id', '=', 1)
      .execute();
  }

  async backfill(limit: number): Promise<number> {
    let counted = 0;
    // Repositories, then namespaces, in batches, each batch one short
    // transaction. A size row a push holds is skipped (SKIP LOCKED) and
    // counted next time.
    for (const target of ['repository', 'namespace'] as const) {
      while (counted < limit) {
        const done = await this.backfillBatch(target, Math.min(BACKFILL_BATCH, limit - counted));
        counted += done;
        if (done === 0) break;
      }
    }
    return counted;
  }

  private backfillBatch(target: 'repository' | 'namespace', size: number): Promise<number> {
    const table = target === 'repository' ? 'quota_repository_size' : 'quota_namespace_size';
    const key = target === 'repository' ? 'repository_id' : 'namespace_id';
    return this.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ id: number }>`
        select ${sql.ref(key)} as id from ${sql.table(table)} where backfilled = false
        order by ${sql.ref(key)} limit ${size} for update skip locked`.execute(trx);
      const ids = rows.map((r) => Number(r.id));
      if (ids.length === 0) return 0;
      const sizes = await recountEach(trx, target, ids);
      const values = ids.map((id) => sql`(${id}::bigint, ${sizes.get(id) ?? 0}::bigint)`);
      await sql`update ${sql.table(table)} t set size_bytes = v.size, backfilled = true
        from (values ${sql.join(values)}) as v(id, size)
        where t.${sql.ref(key)} = v.id`.execute(trx);
      return ids.length;
    });
  }

  async computeRegistrySize(nowMs: number, staleAfterMs: number): Promise<boolean> {
    // Claimed in its own statement so the API shows it running; a run that
    // died (still "running" long after) may be taken over.
    const claimed = await sql<{ id: number }>`
      update quota_registry_size set running = true, queued = false, last_ran_ms = ${nowMs}
      where id = 1 and queued and (not running or last_ran_ms < ${nowMs - staleAfterMs})
      returning id`.execute(this.db);
    if (claimed.rows.length === 0) return false;
    try {
      const size = await recount(this.db, 'everything');
      await this.db
        .updateTable('quota_registry_size')
        .set({ size_bytes: size, running: false, last_ran_ms: nowMs })
        .where('id', '=', 1)
        .execute();
      return true;
    } catch (error) {
      await this.db
        .updateTable('quota_registry_size')
        .set({ running: false, queued: true })
        .where('id', '=', 1)
        .execute();
      throw error;
    }
  }

  recount(scope: { repositoryId: number } | { namespaceId: number } | 'everything') {
    return recount(this.db, scope);
  }
}

/** Sizes counted per backfill transaction. */
const BACKFILL_BATCH = 50;

const EMPTY: ContentSize = { sizeBytes: 0, backfilled: true };
