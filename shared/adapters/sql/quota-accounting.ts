import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { QuotaExceeded } from '../../ports/metadata-store.js';
import {
  judgeGrowth,
  rejectsUploads,
  type NamespaceQuotaRules,
} from '../../registry/quota-policy.js';
import { namespaceEventData } from '../../notifications/event-data.js';
import { recordRegistryEvent } from './registry-events.js';
import { isForeignKeyViolation } from './identity/rows.js';
import { RepositoryGoneError } from '../../ports/errors.js';
import type { Database } from './schema.js';

/**
 * Quota sizes, kept in step with content in the transaction that changes it.
 *
 * The content of a repository is the set of digests of its manifest rows
 * and of the blobs they reference; its size is the sum over that set, so a
 * layer shared by many tags or manifests counts once. A namespace's content
 * is the union over its repositories. A manifest row counts from its push
 * until garbage collection removes it (deleting or expiring a tag changes
 * nothing: the time machine may bring it back).
 *
 * Invariant: every change to a repository's content happens with its size
 * row locked (`FOR UPDATE`), then its namespace's, in that order. So the
 * presence checks below see every earlier change, and two pushes sharing a
 * new layer never both count it.
 */

type Db = Kysely<Database> | Transaction<Database>;

export interface ContentItem {
  digest: string;
  size: number;
}

export interface LockedSizes {
  namespaceId: number | null;
  repository: { size: number; backfilled: boolean };
  /** `hasQuota`: whether the namespace has a quota, so whether its rules need reading. */
  namespace: { size: number; backfilled: boolean; hasQuota: boolean } | null;
}

type SizeTable = 'quota_repository_size' | 'quota_namespace_size';
const SIZE_KEY = {
  quota_repository_size: 'repository_id',
  quota_namespace_size: 'namespace_id',
} as const satisfies Record<SizeTable, string>;

interface SizeRow {
  size_bytes: number;
  backfilled: boolean;
}

interface NamespaceSizeRow extends SizeRow {
  namespace_id: number;
  has_quota: boolean;
}

/**
 * A size row locked FOR UPDATE. An existing row (every push but a
 * repository's first) is locked as it is, not rewritten: a row version this
 * transaction wrote would make the size update later in the push check the
 * row's foreign key again, and leave one more dead version per push. A
 * missing row means content that came after the quota migration, all of
 * which went through here: it starts counted, at zero, created by one
 * statement that takes the existing row instead should another push create
 * it first (ON CONFLICT DO UPDATE locks the row it conflicts with).
 */
async function lockRow<R extends SizeRow>(
  trx: Transaction<Database>,
  existing: RawBuilder<R>,
  created: RawBuilder<R>,
): Promise<R | undefined> {
  const { rows } = await existing.execute(trx);
  return rows[0] ?? (await created.execute(trx)).rows[0];
}

const hasQuota = sql`exists (select 1 from namespace_quota q where q.namespace_id = t.namespace_id)`;

/**
 * Both size rows of a repository's content, locked, repository first.
 * A repository deleted meanwhile takes its size row with it, and the row's
 * insertion then fails its foreign key: the push answers as for a
 * repository gone, not with a 500.
 */
export async function lockSizes(
  trx: Transaction<Database>,
  repositoryId: number,
): Promise<LockedSizes> {
  try {
    return await lockBoth(trx, repositoryId);
  } catch (error) {
    throw isForeignKeyViolation(error) ? new RepositoryGoneError(repositoryId) : error;
  }
}

async function lockBoth(trx: Transaction<Database>, repositoryId: number): Promise<LockedSizes> {
  const repository = await lockRow<SizeRow>(
    trx,
    sql`select size_bytes, backfilled from quota_repository_size
      where repository_id = ${repositoryId} for update`,
    sql`insert into quota_repository_size as t (repository_id, size_bytes, backfilled)
      values (${repositoryId}, 0, true)
      on conflict (repository_id) do update set size_bytes = t.size_bytes
      returning size_bytes, backfilled`,
  );
  // The namespace's row, found through the repository in the same statement;
  // none for a repository outside any namespace.
  const namespace = await lockRow<NamespaceSizeRow>(
    trx,
    sql`select t.namespace_id, t.size_bytes, t.backfilled, ${hasQuota} as has_quota
      from quota_namespace_size t
      where t.namespace_id = (select r.namespace_id from repository r where r.id = ${repositoryId})
      for update of t`,
    sql`insert into quota_namespace_size as t (namespace_id, size_bytes, backfilled)
      select r.namespace_id, 0, true from repository r
      where r.id = ${repositoryId} and r.namespace_id is not null
      on conflict (namespace_id) do update set size_bytes = t.size_bytes
      returning namespace_id, size_bytes, backfilled, ${hasQuota} as has_quota`,
  );
  const locked = { size: Number(repository!.size_bytes), backfilled: repository!.backfilled };
  if (!namespace) return { namespaceId: null, repository: locked, namespace: null };
  return {
    namespaceId: Number(namespace.namespace_id),
    repository: locked,
    namespace: {
      size: Number(namespace.size_bytes),
      backfilled: namespace.backfilled,
      hasQuota: namespace.has_quota,
    },
  };
}

/** Repositories whose content a presence check looks at. */
export type Scope =
  { repositoryId: number } | { namespaceId: number; exceptRepositoryId?: number } | 'everything';

/** `column` (a repository id, of a manifest by default) limited to the scope's repositories. */
function scopeFilter(scope: Scope, column = sql.ref('m.repository_id')): RawBuilder<unknown> {
  if (scope === 'everything') return sql`true`;
  if ('repositoryId' in scope) return sql`${column} = ${scope.repositoryId}`;
  const except =
    scope.exceptRepositoryId === undefined ? sql`` : sql` and r.id <> ${scope.exceptRepositoryId}`;
  return sql`${column} in (select r.id from repository r where r.namespace_id = ${scope.namespaceId}${except})`;
}

/**
 * The content of the manifests `m` (joined to their repository `r`) that
 * match `filter`: their own digests and their blobs', one row per digest
 * and owner (`owner` groups the rows; one group by default).
 */
const contentOf = (filter: RawBuilder<unknown>, owner: RawBuilder<unknown> = sql`0`) => sql`
  select ${owner} as owner, m.digest, m.size from manifest m
    join repository r on r.id = m.repository_id where ${filter}
  union
  select ${owner} as owner, b.digest, b.size from manifest m
    join repository r on r.id = m.repository_id
    join manifest_blob mb on mb.manifest_id = m.id
    join blob b on b.digest = mb.digest
  where ${filter}`;

/** Manifest rows (`m`) or blob links (`mb`): the two places a digest is part of content. */
type Holder = 'manifest' | 'manifest_blob';

/**
 * The rows of `holder` in the scope whose digest is `digest`, found through
 * the holder's digest index, each probe also keyed by repository, so the
 * cost follows the repositories holding that digest (few), never the
 * scope's manifests (possibly very many). A namespace is joined rather than
 * listed with `in (select ...)`, which Postgres answers by hashing the links
 * of every repository in it.
 */
function holding(holder: Holder, digest: RawBuilder<unknown>, scope: Scope): RawBuilder<unknown> {
  const alias = holder === 'manifest' ? 'm' : 'mb';
  const rows = sql`${sql.table(holder)} as ${sql.raw(alias)}`;
  const matches = sql`${sql.ref(`${alias}.digest`)} = ${digest}`;
  const repository = sql.ref(`${alias}.repository_id`);
  if (scope === 'everything') return sql`select 1 from ${rows} where ${matches}`;
  if ('repositoryId' in scope) {
    return sql`select 1 from ${rows} where ${matches} and ${repository} = ${scope.repositoryId}`;
  }
  const except =
    scope.exceptRepositoryId === undefined ? sql`` : sql` and r.id <> ${scope.exceptRepositoryId}`;
  return sql`select 1 from ${rows} join repository r on r.id = ${repository}
    where ${matches} and r.namespace_id = ${scope.namespaceId}${except}`;
}

/** Whether `digest` is part of the scope's content. */
const heldIn = (digest: RawBuilder<unknown>, scope: Scope) => sql`(
  exists (${holding('manifest', digest, scope)})
  or exists (${holding('manifest_blob', digest, scope)}))`;

/**
 * The digests of `source` (rows with `d.digest`) that are part of the
 * scope's content: one semi-join per holder. Asked as one `exists ... or
 * exists ...`, Postgres may answer the second by hashing every blob link of
 * the scope, a cost that grows with each push to it.
 */
function digestsHeldIn(source: RawBuilder<unknown>, scope: Scope): RawBuilder<{ digest: string }> {
  const found = (holder: Holder) =>
    sql`select d.digest from ${source} where exists (${holding(holder, sql.ref('d.digest'), scope)})`;
  return sql<{ digest: string }>`${found('manifest')} union ${found('manifest_blob')}`;
}

/** The digests among `digests` that are part of the scope's content. */
export function presenceQuery(scope: Scope, digests: string[]): RawBuilder<{ digest: string }> {
  const asked = sql`(values ${sql.join(digests.map((d) => sql`(${d}::text)`))}) as d(digest)`;
  return digestsHeldIn(asked, scope);
}

async function present(db: Db, scope: Scope, digests: string[]): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  const { rows } = await presenceQuery(scope, digests).execute(db);
  return new Set(rows.map((r) => r.digest));
}

/** The scope's size counted from scratch: what the kept sizes must always equal. */
export async function recount(db: Db, scope: Scope): Promise<number> {
  const { rows } = await sql<{ size: number | string }>`
    select coalesce(sum(c.size), 0)::bigint as size
    from (${contentOf(scopeFilter(scope))}) c`.execute(db);
  return Number(rows[0]!.size);
}

/** Sizes counted from scratch for several repositories or namespaces at once. */
export async function recountEach(
  db: Db,
  target: 'repository' | 'namespace',
  ids: number[],
): Promise<Map<number, number>> {
  const list = sql.join(ids.map((id) => sql`${id}::bigint`));
  const owner = target === 'repository' ? sql`m.repository_id` : sql`r.namespace_id`;
  const { rows } = await sql<{ owner: number; size: number | string }>`
    select c.owner, coalesce(sum(c.size), 0)::bigint as size
    from (${contentOf(sql`${owner} in (${list})`, owner)}) c
    group by c.owner`.execute(db);
  return new Map(rows.map((r) => [Number(r.owner), Number(r.size)]));
}

const sum = (items: ContentItem[]) => items.reduce((total, i) => total + i.size, 0);

function distinct(items: ContentItem[]): ContentItem[] {
  return [...new Map(items.map((i) => [i.digest, i])).values()];
}

async function namespaceRules(db: Db, namespaceId: number): Promise<NamespaceQuotaRules | null> {
  const rows = await db
    .selectFrom('namespace_quota as q')
    .leftJoin('quota_limit as l', 'l.quota_id', 'q.id')
    .select(['q.limit_bytes', 'l.kind', 'l.threshold_percent'])
    .where('q.namespace_id', '=', namespaceId)
    .execute();
  return rows.length === 0 ? null : rulesFrom(rows);
}

/** A quota's rules from its rows joined to its limits (one row, all null, when it has none). */
function rulesFrom(
  rows: {
    limit_bytes: number;
    kind: NamespaceQuotaRules['limits'][number]['kind'] | null;
    threshold_percent: number | null;
  }[],
): NamespaceQuotaRules {
  return {
    limitBytes: Number(rows[0]!.limit_bytes),
    limits: rows.flatMap((r) =>
      r.kind && r.threshold_percent !== null
        ? [{ kind: r.kind, thresholdPercent: r.threshold_percent }]
        : [],
    ),
  };
}

async function namespaceName(db: Db, namespaceId: number): Promise<string> {
  const row = await db
    .selectFrom('account')
    .select('name')
    .where('id', '=', namespaceId)
    .executeTakeFirstOrThrow();
  return row.name;
}

/** Both sizes a push grows, in one statement when both grow: it runs on every manifest push. */
async function addSizes(
  trx: Transaction<Database>,
  repositoryDelta: number,
  repositoryId: number,
  namespaceDelta: number,
  namespaceId: number | null,
) {
  if (repositoryDelta === 0 || namespaceDelta === 0 || namespaceId === null) {
    await setSize(trx, 'quota_repository_size', repositoryId, repositoryDelta);
    if (namespaceId !== null)
      await setSize(trx, 'quota_namespace_size', namespaceId, namespaceDelta);
    return;
  }
  await sql`with repository_size as (
      update quota_repository_size set size_bytes = size_bytes + ${repositoryDelta}
      where repository_id = ${repositoryId})
    update quota_namespace_size set size_bytes = size_bytes + ${namespaceDelta}
    where namespace_id = ${namespaceId}`.execute(trx);
}

async function setSize(trx: Transaction<Database>, table: SizeTable, id: number, delta: number) {
  if (delta === 0) return;
  const key = SIZE_KEY[table];
  await sql`update ${sql.table(table)} set size_bytes = size_bytes + ${delta}
    where ${sql.ref(key)} = ${id}`.execute(trx);
}

/** What admitting content did: refused it (with why), and how many notifications it queued. */
export interface Admission {
  exceeded: QuotaExceeded | null;
  deliveries: number;
}

/**
 * Counts a manifest about to be stored, or refuses it when it would take
 * the namespace past a Reject limit. Call with the manifest not yet
 * inserted, its sizes locked; `items` are its own digest and its blobs'.
 * Crossing a Warning threshold records a `quota_warning` event, a refusal
 * a `quota_error` event, both for the namespace's notifications.
 */
export async function admitContent(
  trx: Transaction<Database>,
  locked: LockedSizes,
  repositoryId: number,
  items: ContentItem[],
  nowMs: number,
  /** False with quota management off: sizes are still kept, no limit is applied. */
  enforce = true,
): Promise<Admission> {
  const wanted = distinct(items);
  const namespace = locked.namespaceId !== null ? locked.namespace : null;
  const grows = {
    repository: locked.repository.backfilled,
    namespace: namespace?.backfilled === true,
  };
  if (!(enforce && grows.namespace && namespace?.hasQuota)) {
    // No limit to judge: what is new is counted in the statement that finds it.
    await countNewContentQuery(locked.namespaceId, repositoryId, wanted, grows)?.execute(trx);
    return { exceeded: null, deliveries: 0 };
  }
  const namespaceId = locked.namespaceId!;
  const found = await newContent(trx, namespaceId, repositoryId, wanted);
  const added = sum(found.filter((i) => i.toNamespace));
  let deliveries = 0;
  if (added > 0) {
    const rules = await namespaceRules(trx, namespaceId);
    const verdict = rules && judgeGrowth(rules, namespace.size, namespace.size + added);
    if (rules && verdict?.rejectedAt != null) {
      const exceeded: QuotaExceeded = {
        namespace: await namespaceName(trx, namespaceId),
        sizeBytes: namespace.size,
        addedBytes: added,
        thresholdBytes: verdict.rejectedAt,
        limitBytes: rules.limitBytes,
      };
      deliveries += await recordQuotaEvent(trx, 'quota_error', namespaceId, repositoryId, {
        sizeBytes: namespace.size + added,
        thresholdBytes: verdict.rejectedAt,
        limitBytes: rules.limitBytes,
        nowMs,
      });
      return { exceeded, deliveries };
    }
    for (const threshold of verdict?.warnings ?? []) {
      deliveries += await recordQuotaEvent(trx, 'quota_warning', namespaceId, repositoryId, {
        sizeBytes: namespace.size + added,
        thresholdBytes: threshold,
        limitBytes: rules!.limitBytes,
        nowMs,
      });
    }
  }
  await addSizes(trx, grows.repository ? sum(found) : 0, repositoryId, added, namespaceId);
  return { exceeded: null, deliveries };
}

/**
 * Common table expressions naming the content among `items` that is new:
 * `new_to_repository`, and of that, `new_to_namespace`, each presence
 * checked as `presenceQuery` checks it.
 */
function newContentTables(
  namespaceId: number | null,
  repositoryId: number,
  items: ContentItem[],
): RawBuilder<unknown> {
  const values = sql.join(items.map((i) => sql`(${i.digest}::text, ${i.size}::bigint)`));
  const inNamespace =
    namespaceId === null
      ? sql`select digest from new_to_repository`
      : digestsHeldIn(sql`new_to_repository as d`, { namespaceId });
  return sql`asked (digest, size) as (values ${values}),
    in_repository as (${digestsHeldIn(sql`asked as d`, { repositoryId })}),
    new_to_repository as (select digest, size from asked
      where digest not in (select digest from in_repository)),
    in_namespace as (${inNamespace}),
    new_to_namespace as (select digest, size from new_to_repository
      where digest not in (select digest from in_namespace))`;
}

/** The content among `items` new to the repository, and whether each is new to its namespace too. */
export function newContentQuery(
  namespaceId: number | null,
  repositoryId: number,
  items: ContentItem[],
): RawBuilder<{ digest: string; size: number | string; to_namespace: boolean }> {
  return sql`with ${newContentTables(namespaceId, repositoryId, items)}
    select digest, size, digest in (select digest from new_to_namespace) as to_namespace
    from new_to_repository`;
}

async function newContent(
  trx: Transaction<Database>,
  namespaceId: number,
  repositoryId: number,
  items: ContentItem[],
): Promise<(ContentItem & { toNamespace: boolean })[]> {
  const { rows } = await newContentQuery(namespaceId, repositoryId, items).execute(trx);
  return rows.map((r) => ({ digest: r.digest, size: Number(r.size), toNamespace: r.to_namespace }));
}

/**
 * One statement that adds the sizes of what is new among `items` to the
 * size rows `grows` names; null when neither grows.
 */
export function countNewContentQuery(
  namespaceId: number | null,
  repositoryId: number,
  items: ContentItem[],
  grows: { repository: boolean; namespace: boolean },
): RawBuilder<unknown> | null {
  const added = (table: string) => sql`(select coalesce(sum(size), 0) from ${sql.table(table)})`;
  const updates = [
    grows.repository &&
      sql`update quota_repository_size set size_bytes = size_bytes + ${added('new_to_repository')}
        where repository_id = ${repositoryId}`,
    grows.namespace &&
      namespaceId !== null &&
      sql`update quota_namespace_size set size_bytes = size_bytes + ${added('new_to_namespace')}
        where namespace_id = ${namespaceId}`,
  ].filter((u) => u !== false);
  if (updates.length === 0) return null;
  const tables = newContentTables(namespaceId, repositoryId, items);
  const [first, second] = updates;
  return second
    ? sql`with ${tables}, repository_size as (${first}) ${second}`
    : sql`with ${tables} ${first}`;
}

/** A refused push is retried by clients; its namespace hears of it at most once an hour. */
const QUOTA_ERROR_QUIET_MS = 60 * 60 * 1000;

async function recordQuotaEvent(
  trx: Transaction<Database>,
  kind: 'quota_warning' | 'quota_error',
  namespaceId: number,
  repositoryId: number,
  w: { sizeBytes: number; thresholdBytes: number; limitBytes: number; nowMs: number },
): Promise<number> {
  if (kind === 'quota_error') {
    const recent = await trx
      .selectFrom('registry_event')
      .select('id')
      .where('kind', '=', 'quota_error')
      .where('namespace_id', '=', namespaceId)
      .where('created_at_ms', '>', w.nowMs - QUOTA_ERROR_QUIET_MS)
      .limit(1)
      .executeTakeFirst();
    if (recent) return 0;
  }
  const name = await namespaceName(trx, namespaceId);
  const repository = await trx
    .selectFrom('repository')
    .select('name')
    .where('id', '=', repositoryId)
    .executeTakeFirstOrThrow();
  const sizes = {
    size_bytes: w.sizeBytes,
    threshold_bytes: w.thresholdBytes,
    limit_bytes: w.limitBytes,
  };
  const { deliveries } = await recordRegistryEvent(trx, {
    kind,
    performer: null,
    namespace: { id: namespaceId, name },
    repository: { id: repositoryId, name: repository.name },
    data: namespaceEventData(name, { repository: repository.name, ...sizes }),
    audit: { namespace: name, repository: repository.name, ...sizes },
    nowMs: w.nowMs,
  });
  return deliveries;
}

/** What manifests contribute to their repository's content: their own digests and their blobs'. */
export async function manifestContent(db: Db, manifestIds: number[]): Promise<ContentItem[]> {
  if (manifestIds.length === 0) return [];
  const ids = sql.join(manifestIds.map((id) => sql`${id}::bigint`));
  const { rows } = await sql<{ digest: string; size: number }>`
    select m.digest, m.size from manifest m where m.id in (${ids})
    union
    select b.digest, b.size from manifest_blob mb join blob b on b.digest = mb.digest
    where mb.manifest_id in (${ids})`.execute(db);
  return rows.map((r) => ({ digest: r.digest, size: Number(r.size) }));
}

/**
 * Subtracts what left a repository when a manifest row was removed. Call
 * after the removal, with the sizes locked first and the manifest's
 * content read before it went.
 */
export async function releaseContent(
  trx: Transaction<Database>,
  locked: LockedSizes,
  repositoryId: number,
  items: ContentItem[],
): Promise<void> {
  const candidates = distinct(items);
  const still = await present(
    trx,
    { repositoryId },
    candidates.map((i) => i.digest),
  );
  const gone = candidates.filter((i) => !still.has(i.digest));
  if (locked.repository.backfilled) {
    await setSize(trx, 'quota_repository_size', repositoryId, -sum(gone));
  }
  if (locked.namespaceId === null || !locked.namespace?.backfilled || gone.length === 0) return;
  const inNamespace = await present(
    trx,
    { namespaceId: locked.namespaceId },
    gone.map((i) => i.digest),
  );
  const goneFromNamespace = gone.filter((i) => !inNamespace.has(i.digest));
  await setSize(trx, 'quota_namespace_size', locked.namespaceId, -sum(goneFromNamespace));
}

/** Subtracts a repository about to be deleted from its namespace's size. */
export async function releaseRepository(
  trx: Transaction<Database>,
  repositoryId: number,
): Promise<void> {
  const locked = await lockSizes(trx, repositoryId);
  if (locked.namespaceId === null || !locked.namespace?.backfilled) return;
  const others = { namespaceId: locked.namespaceId, exceptRepositoryId: repositoryId };
  const { rows } = await sql<{ size: number | string }>`
    select coalesce(sum(c.size), 0)::bigint as size
    from (${contentOf(scopeFilter({ repositoryId }))}) c
    where not ${heldIn(sql.ref('c.digest'), others)}`.execute(trx);
  await setSize(trx, 'quota_namespace_size', locked.namespaceId, -Number(rows[0]!.size));
}

/** Whether the repository's namespace is at or over a Reject limit. */
export async function uploadRejection(db: Db, repositoryId: number): Promise<QuotaExceeded | null> {
  return rejection(db, { repositoryId });
}

/** The Reject limit a namespace has reached, which refuses new uploads into it. */
export async function namespaceUploadRejection(
  db: Db,
  namespaceId: number,
): Promise<QuotaExceeded | null> {
  return rejection(db, { namespaceId });
}

/**
 * The namespace's counted size against its quota, read in one statement
 * (every upload asks): nothing to refuse without a quota or before the
 * size is counted.
 */
async function rejection(
  db: Db,
  owner: { repositoryId: number } | { namespaceId: number },
): Promise<QuotaExceeded | null> {
  let query = db
    .selectFrom('quota_namespace_size as s')
    .innerJoin('namespace_quota as q', 'q.namespace_id', 's.namespace_id')
    .leftJoin('quota_limit as l', 'l.quota_id', 'q.id')
    .select(['s.namespace_id', 's.size_bytes', 'q.limit_bytes', 'l.kind', 'l.threshold_percent'])
    .where('s.backfilled', '=', true);
  query =
    'repositoryId' in owner
      ? query
          .innerJoin('repository as r', 'r.namespace_id', 's.namespace_id')
          .where('r.id', '=', owner.repositoryId)
      : query.where('s.namespace_id', '=', owner.namespaceId);
  const rows = await query.execute();
  if (rows.length === 0) return null;
  const namespaceId = rows[0]!.namespace_id;
  const rules = rulesFrom(rows);
  const size = Number(rows[0]!.size_bytes);
  const threshold = rejectsUploads(rules, size);
  if (threshold == null) return null;
  return {
    namespace: await namespaceName(db, namespaceId),
    sizeBytes: size,
    addedBytes: 0,
    thresholdBytes: threshold,
    limitBytes: rules.limitBytes,
  };
}
