import { randomUUID } from 'node:crypto';
import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import { TagImmutableError } from '../../ports/errors.js';
import type {
  ImmutabilityOwner,
  ImmutabilityPolicy,
  ImmutabilityPolicyRecord,
  ImmutabilityStore,
} from '../../ports/immutability-store.js';
import type { Database } from './schema.js';
import { aliveAt } from './tag-lifetime.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Quay's FEATURE_IMMUTABLE_TAGS and FEATURE_IMMUTABLE_TAGS_CAN_EXPIRE. */
export interface ImmutabilityRules {
  enabled: boolean;
  canExpire: boolean;
}

export const IMMUTABILITY_ON: ImmutabilityRules = { enabled: true, canExpire: false };

const covers = (p: ImmutabilityPolicy) => {
  const pattern = new RegExp(p.tagPattern);
  return (name: string) => pattern.test(name) === p.tagPatternMatches;
};

/** The policies over a repository: its namespace's and its own. */
async function policiesFor(db: Db, repositoryId: number): Promise<ImmutabilityPolicy[]> {
  const rows = await db
    .selectFrom('immutability_policy as p')
    .innerJoin('repository as r', 'r.namespace_id', 'p.namespace_id')
    .select(['p.tag_pattern', 'p.tag_pattern_matches'])
    .where('r.id', '=', repositoryId)
    .where((eb) =>
      eb.or([eb('p.repository_id', 'is', null), eb('p.repository_id', '=', repositoryId)]),
    )
    .execute();
  return rows.map((r) => ({ tagPattern: r.tag_pattern, tagPatternMatches: r.tag_pattern_matches }));
}

/**
 * Which of the repository's live tags (all, or those named) are immutable:
 * by their own flag or by a policy. Empty with the feature off.
 */
export async function immutableTags(
  db: Db,
  repositoryId: number,
  nowMs: number,
  rules: ImmutabilityRules,
  names?: readonly string[],
): Promise<Set<string>> {
  if (!rules.enabled || names?.length === 0) return new Set();
  let query = db
    .selectFrom('tag')
    .select(['name', 'immutable'])
    .where('repository_id', '=', repositoryId)
    .where((eb) => aliveAt(eb, nowMs));
  if (names) query = query.where('name', 'in', [...names]);
  const live = await query.execute();
  if (live.length === 0) return new Set();
  const policies = (await policiesFor(db, repositoryId)).map(covers);
  return new Set(
    live.filter((t) => t.immutable || policies.some((p) => p(t.name))).map((t) => t.name),
  );
}

/** Refuses the change if any of the named live tags is immutable. */
export async function assertMutable(
  db: Db,
  repositoryId: number,
  names: readonly string[],
  nowMs: number,
  rules: ImmutabilityRules,
): Promise<void> {
  const [first] = await immutableTags(db, repositoryId, nowMs, rules, names);
  if (first !== undefined) throw new TagImmutableError(first);
}

/**
 * A tag that becomes immutable must not expire (unless the registry lets
 * immutable tags expire): clears the future end of live tags `matches` picks.
 */
async function clearExpiries(
  trx: Transaction<Database>,
  owner: ImmutabilityOwner,
  matches: (name: string) => boolean,
  nowMs: number,
): Promise<void> {
  let query = trx
    .selectFrom('tag')
    .innerJoin('repository', 'repository.id', 'tag.repository_id')
    .select(['tag.id', 'tag.name'])
    .where('repository.namespace_id', '=', owner.namespaceId)
    .where('tag.lifetime_end_ms', '>', nowMs);
  if (owner.repositoryId !== null)
    query = query.where('tag.repository_id', '=', owner.repositoryId);
  const ids = (await query.execute()).filter((t) => matches(t.name)).map((t) => t.id);
  if (ids.length > 0) {
    await trx.updateTable('tag').set({ lifetime_end_ms: null }).where('id', 'in', ids).execute();
  }
}

/** The owner's own policies: a namespace's (no repository) or one repository's. */
const ownedBy =
  (owner: ImmutabilityOwner) => (eb: ExpressionBuilder<Database, 'immutability_policy'>) =>
    eb.and([
      eb('namespace_id', '=', owner.namespaceId),
      owner.repositoryId === null
        ? eb('repository_id', 'is', null)
        : eb('repository_id', '=', owner.repositoryId),
    ]);

export class SqlImmutabilityStore implements ImmutabilityStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly rules: ImmutabilityRules = IMMUTABILITY_ON,
  ) {}

  private owned(owner: ImmutabilityOwner) {
    return this.db.selectFrom('immutability_policy').selectAll().where(ownedBy(owner));
  }

  async listPolicies(owner: ImmutabilityOwner): Promise<ImmutabilityPolicyRecord[]> {
    const rows = await this.owned(owner).orderBy('created_at_ms').orderBy('uuid').execute();
    return rows.map((r) => ({
      uuid: r.uuid,
      namespaceId: Number(r.namespace_id),
      repositoryId: r.repository_id === null ? null : Number(r.repository_id),
      tagPattern: r.tag_pattern,
      tagPatternMatches: r.tag_pattern_matches,
    }));
  }

  private async duplicate(owner: ImmutabilityOwner, policy: ImmutabilityPolicy, except?: string) {
    const same = (await this.listPolicies(owner)).find(
      (p) =>
        p.uuid !== except &&
        p.tagPattern === policy.tagPattern &&
        p.tagPatternMatches === policy.tagPatternMatches,
    );
    return same !== undefined;
  }

  async createPolicy(record: ImmutabilityPolicyRecord, nowMs: number): Promise<boolean> {
    if (await this.duplicate(record, record)) return false;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('immutability_policy')
        .values({
          uuid: record.uuid || randomUUID(),
          namespace_id: record.namespaceId,
          repository_id: record.repositoryId,
          tag_pattern: record.tagPattern,
          tag_pattern_matches: record.tagPatternMatches,
          created_at_ms: nowMs,
        })
        .execute();
      if (!this.rules.canExpire) await clearExpiries(trx, record, covers(record), nowMs);
    });
    return true;
  }

  async updatePolicy(
    owner: ImmutabilityOwner,
    uuid: string,
    policy: ImmutabilityPolicy,
    nowMs: number,
  ): Promise<'updated' | 'missing' | 'duplicate'> {
    if (await this.duplicate(owner, policy, uuid)) return 'duplicate';
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('immutability_policy')
        .set({ tag_pattern: policy.tagPattern, tag_pattern_matches: policy.tagPatternMatches })
        .where('uuid', '=', uuid)
        .where(ownedBy(owner))
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return 'missing';
      if (!this.rules.canExpire) await clearExpiries(trx, owner, covers(policy), nowMs);
      return 'updated';
    });
  }

  async deletePolicy(owner: ImmutabilityOwner, uuid: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('immutability_policy')
      .where('uuid', '=', uuid)
      .where(ownedBy(owner))
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async setTagImmutable(
    repositoryId: number,
    tag: string,
    immutable: boolean,
    nowMs: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('tag')
      .set(
        immutable && !this.rules.canExpire ? { immutable, lifetime_end_ms: null } : { immutable },
      )
      .where('repository_id', '=', repositoryId)
      .where('name', '=', tag)
      .where((eb) => aliveAt(eb, nowMs))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
