import { sql, type Kysely } from 'kysely';
import type {
  LiveTag,
  PolicyOwner,
  PolicyRecord,
  PruneClaim,
  PruneStore,
} from '../../ports/prune-store.js';
import type { PrunePolicy } from '../../registry/prune-policy.js';
import { asJson } from './identity/rows.js';
import { splitRepositoryName } from '../../oci/grammar.js';
import type { Database } from './schema.js';
import { IMMUTABILITY_ON, immutableTags, type ImmutabilityRules } from './sql-immutability.js';
import { aliveAt } from './sql-tags.js';

function toPolicy(row: {
  uuid: string;
  namespace_id: number;
  repository_id?: number | null;
  policy: Record<string, unknown>;
}): PolicyRecord {
  return {
    uuid: row.uuid,
    namespaceId: Number(row.namespace_id),
    repositoryId: row.repository_id == null ? null : Number(row.repository_id),
    policy: row.policy as unknown as PrunePolicy,
  };
}

/**
 * Auto-prune over SQL. A namespace's task is claimed with `FOR UPDATE SKIP
 * LOCKED` and held by a lease (`claim_token`, `claimed_until_ms`) that the
 * worker renews as it goes: no two workers prune one namespace at once, and
 * a crashed worker's task is free again once its lease lapses.
 */
export class SqlPruneStore implements PruneStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly immutability: ImmutabilityRules = IMMUTABILITY_ON,
  ) {}

  async listPolicies(owner: PolicyOwner): Promise<PolicyRecord[]> {
    if (owner.repositoryId === null) {
      const rows = await this.db
        .selectFrom('namespace_autoprune_policy')
        .select(['uuid', 'namespace_id', 'policy'])
        .where('namespace_id', '=', owner.namespaceId)
        .orderBy('created_at_ms')
        .orderBy('uuid')
        .execute();
      return rows.map(toPolicy);
    }
    const rows = await this.db
      .selectFrom('repository_autoprune_policy')
      .select(['uuid', 'namespace_id', 'repository_id', 'policy'])
      .where('repository_id', '=', owner.repositoryId)
      .orderBy('created_at_ms')
      .orderBy('uuid')
      .execute();
    return rows.map(toPolicy);
  }

  async namespacePolicies(namespaceId: number): Promise<PolicyRecord[]> {
    const own = await this.listPolicies({ namespaceId, repositoryId: null });
    const perRepository = await this.db
      .selectFrom('repository_autoprune_policy')
      .select(['uuid', 'namespace_id', 'repository_id', 'policy'])
      .where('namespace_id', '=', namespaceId)
      .orderBy('created_at_ms')
      .execute();
    return [...own, ...perRepository.map(toPolicy)];
  }

  async createPolicy(record: PolicyRecord, nowMs: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (record.repositoryId === null) {
        await trx
          .insertInto('namespace_autoprune_policy')
          .values({
            uuid: record.uuid,
            namespace_id: record.namespaceId,
            policy: asJson(record.policy),
            created_at_ms: nowMs,
          })
          .execute();
      } else {
        await trx
          .insertInto('repository_autoprune_policy')
          .values({
            uuid: record.uuid,
            namespace_id: record.namespaceId,
            repository_id: record.repositoryId,
            policy: asJson(record.policy),
            created_at_ms: nowMs,
          })
          .execute();
      }
      await trx
        .insertInto('autoprune_task')
        .values({
          namespace_id: record.namespaceId,
          last_ran_ms: null,
          status: null,
          claim_token: null,
          claimed_until_ms: null,
        })
        .onConflict((oc) => oc.column('namespace_id').doNothing())
        .execute();
    });
  }

  async updatePolicy(owner: PolicyOwner, uuid: string, policy: PrunePolicy): Promise<boolean> {
    const result =
      owner.repositoryId === null
        ? await this.db
            .updateTable('namespace_autoprune_policy')
            .set({ policy: asJson(policy) })
            .where('uuid', '=', uuid)
            .where('namespace_id', '=', owner.namespaceId)
            .executeTakeFirst()
        : await this.db
            .updateTable('repository_autoprune_policy')
            .set({ policy: asJson(policy) })
            .where('uuid', '=', uuid)
            .where('repository_id', '=', owner.repositoryId)
            .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deletePolicy(owner: PolicyOwner, uuid: string): Promise<boolean> {
    // The task stays: the next run finds no policy and removes it.
    const result =
      owner.repositoryId === null
        ? await this.db
            .deleteFrom('namespace_autoprune_policy')
            .where('uuid', '=', uuid)
            .where('namespace_id', '=', owner.namespaceId)
            .executeTakeFirst()
        : await this.db
            .deleteFrom('repository_autoprune_policy')
            .where('uuid', '=', uuid)
            .where('repository_id', '=', owner.repositoryId)
            .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async claimTask(
    { nowMs, untilMs, ranBeforeMs }: { nowMs: number; untilMs: number; ranBeforeMs: number },
    token: string,
  ): Promise<PruneClaim | null> {
    // SKIP LOCKED: workers claiming at the same moment take different rows
    // instead of queueing behind one another.
    const { rows } = await sql<{ namespace_id: number }>`
      update autoprune_task set claim_token = ${token}, claimed_until_ms = ${untilMs}
      where namespace_id = (
        select namespace_id from autoprune_task
        where (claimed_until_ms is null or claimed_until_ms < ${nowMs})
          and (last_ran_ms is null or last_ran_ms < ${ranBeforeMs})
        order by last_ran_ms asc nulls first, namespace_id
        limit 1 for update skip locked)
      returning namespace_id`.execute(this.db);
    const row = rows[0];
    return row ? { namespaceId: Number(row.namespace_id), token } : null;
  }

  async renewClaim(claim: PruneClaim, untilMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('autoprune_task')
      .set({ claimed_until_ms: untilMs })
      .where('namespace_id', '=', claim.namespaceId)
      .where('claim_token', '=', claim.token)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async finishTask(claim: PruneClaim, nowMs: number, status: string): Promise<void> {
    await this.db
      .updateTable('autoprune_task')
      .set({ last_ran_ms: nowMs, status, claim_token: null, claimed_until_ms: null })
      .where('namespace_id', '=', claim.namespaceId)
      .where('claim_token', '=', claim.token)
      .execute();
  }

  async deleteTask(claim: PruneClaim): Promise<void> {
    // A policy created while this worker looked keeps the task alive.
    await sql`
      delete from autoprune_task t
      where t.namespace_id = ${claim.namespaceId} and t.claim_token = ${claim.token}
        and not exists (select 1 from namespace_autoprune_policy p where p.namespace_id = t.namespace_id)
        and not exists (select 1 from repository_autoprune_policy p where p.namespace_id = t.namespace_id)`.execute(
      this.db,
    );
  }

  async taskStatus(namespaceId: number) {
    const row = await this.db
      .selectFrom('autoprune_task')
      .select(['last_ran_ms', 'status'])
      .where('namespace_id', '=', namespaceId)
      .executeTakeFirst();
    return row
      ? { lastRanMs: row.last_ran_ms === null ? null : Number(row.last_ran_ms), status: row.status }
      : null;
  }

  async namespaceRepositories(namespaceId: number, afterName: string, limit: number) {
    const rows = await this.db
      .selectFrom('repository')
      .select(['id', 'name'])
      .where('namespace_id', '=', namespaceId)
      .where('name', '>', afterName)
      .orderBy('name')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: Number(r.id), name: r.name }));
  }

  async liveTags(repositoryId: number, nowMs: number): Promise<LiveTag[]> {
    const rows = await this.db
      .selectFrom('tag')
      .select(['id', 'name', 'lifetime_start_ms'])
      .where('repository_id', '=', repositoryId)
      .where((eb) => aliveAt(eb, nowMs))
      .orderBy('lifetime_start_ms', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name,
      startMs: Number(r.lifetime_start_ms),
    }));
  }

  async pruneTags(
    repository: { id: number; name: string },
    tagIds: number[],
    nowMs: number,
    policyUuids: string[],
  ): Promise<string[]> {
    if (tagIds.length === 0) return [];
    // Immutable tags are never pruned.
    const chosen = await this.db
      .selectFrom('tag')
      .select(['id', 'name'])
      .where('id', 'in', tagIds)
      .execute();
    const keep = await immutableTags(
      this.db,
      repository.id,
      nowMs,
      this.immutability,
      chosen.map((t) => t.name),
    );
    tagIds = chosen.filter((t) => !keep.has(t.name)).map((t) => Number(t.id));
    if (tagIds.length === 0) return [];
    const { namespace, shortName } = splitRepositoryName(repository.name);
    const { rows } = await sql<{ name: string }>`
      with ended as (
        update tag set lifetime_end_ms = ${nowMs}
        where repository_id = ${repository.id}
          and id in (${sql.join(tagIds.map((id) => sql`${id}::bigint`))})
          and (lifetime_end_ms is null or lifetime_end_ms > ${nowMs})
        returning name),
      logged as (
        insert into audit_log (kind, performer_id, performer_name, namespace_id, namespace_name,
          repository_id, repository_name, ip, metadata, created_at_ms)
        select 'autoprune_tag_delete', null, null, r.namespace_id, ${namespace}::text, r.id,
          ${shortName}::text, null,
          jsonb_build_object('tag', e.name, 'namespace', ${namespace}::text,
            'repo', ${repository.name}::text, 'policies', ${JSON.stringify(policyUuids)}::jsonb),
          ${nowMs}::bigint
        from ended e join repository r on r.id = ${repository.id}
        returning 1)
      select name from ended order by name`.execute(this.db);
    return rows.map((r) => r.name);
  }
}
