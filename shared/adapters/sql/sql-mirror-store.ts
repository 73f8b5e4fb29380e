import { sql, type Kysely, type Selectable, type UpdateObject } from 'kysely';
import type {
  MirrorClaim,
  MirrorEvent,
  MirrorRecord,
  MirrorSettings,
  MirrorStore,
  SyncOutcome,
  SyncRequest,
  SyncRun,
} from '../../ports/mirror-store.js';
import { asJson } from './identity/rows.js';
import { splitRepositoryName } from '../../oci/grammar.js';
import { recordRegistryEvent } from './registry-events.js';
import { repositoryEventData } from '../../notifications/event-data.js';
import type { Database, RepoMirrorTable } from './schema.js';

type MirrorRow = Selectable<RepoMirrorTable> & {
  repository_name: string;
  namespace_id: number | null;
  robot_name: string | null;
};

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function toRecord(r: MirrorRow): MirrorRecord {
  return {
    repositoryId: Number(r.repository_id),
    repositoryName: r.repository_name,
    namespaceId: num(r.namespace_id),
    isEnabled: r.is_enabled,
    externalReference: r.external_reference,
    usernameSealed: r.username_sealed,
    passwordSealed: r.password_sealed,
    verifyTls: r.verify_tls,
    proxy: r.proxy,
    globs: r.rule_globs,
    robotId: num(r.robot_id),
    robotName: r.robot_name,
    syncIntervalS: r.sync_interval_s,
    syncStartMs: Number(r.sync_start_ms),
    syncExpirationMs: num(r.sync_expiration_ms),
    retriesRemaining: r.sync_retries_remaining,
    status: r.sync_status,
    lastSyncMs: num(r.last_sync_ms),
    lastError: r.last_error,
  };
}

function settingsColumns(s: Partial<MirrorSettings>): UpdateObject<Database, 'repo_mirror'> {
  const set: UpdateObject<Database, 'repo_mirror'> = {};
  if (s.isEnabled !== undefined) set.is_enabled = s.isEnabled;
  if (s.externalReference !== undefined) set.external_reference = s.externalReference;
  if (s.usernameSealed !== undefined) set.username_sealed = s.usernameSealed;
  if (s.passwordSealed !== undefined) set.password_sealed = s.passwordSealed;
  if (s.verifyTls !== undefined) set.verify_tls = s.verifyTls;
  if (s.proxy !== undefined) set.proxy = s.proxy === null ? null : asJson(s.proxy);
  if (s.globs !== undefined) set.rule_globs = asJson(s.globs);
  if (s.robotId !== undefined) set.robot_id = s.robotId;
  if (s.syncIntervalS !== undefined) set.sync_interval_s = s.syncIntervalS;
  if (s.syncStartMs !== undefined) set.sync_start_ms = s.syncStartMs;
  return set;
}

/** How many times a failing sync is retried before it waits for its next interval (Quay's default). */
export const MIRROR_RETRIES = 3;

/**
 * Mirrors over SQL. A sync is owned by whoever set `sync_token`, while
 * `sync_expiration_ms` lies ahead: the claim is one conditional UPDATE, so
 * of two workers only one sees its row come back. Every later step of the
 * run names the token, so a worker whose lease lapsed, or whose run was
 * cancelled, finds its writes refused and stops.
 */
export class SqlMirrorStore implements MirrorStore {
  constructor(private readonly db: Kysely<Database>) {}

  private select(db: Kysely<Database> = this.db) {
    return db
      .selectFrom('repo_mirror as m')
      .innerJoin('repository as r', 'r.id', 'm.repository_id')
      .leftJoin('account as a', 'a.id', 'm.robot_id')
      .selectAll('m')
      .select(['r.name as repository_name', 'r.namespace_id', 'a.name as robot_name']);
  }

  async find(repositoryId: number): Promise<MirrorRecord | null> {
    const row = await this.select().where('m.repository_id', '=', repositoryId).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async create(repositoryId: number, settings: MirrorSettings, nowMs: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('repo_mirror')
        .values({
          repository_id: repositoryId,
          is_enabled: settings.isEnabled,
          external_reference: settings.externalReference,
          username_sealed: settings.usernameSealed,
          password_sealed: settings.passwordSealed,
          verify_tls: settings.verifyTls,
          proxy: settings.proxy === null ? null : asJson(settings.proxy),
          rule_globs: asJson(settings.globs),
          robot_id: settings.robotId,
          sync_interval_s: settings.syncIntervalS,
          sync_start_ms: settings.syncStartMs,
          sync_expiration_ms: null,
          sync_retries_remaining: MIRROR_RETRIES,
          sync_status: 'NEVER_RUN',
          sync_token: null,
          sync_run: null,
          queued_at_ms: null,
          last_sync_ms: null,
          last_error: null,
          created_at_ms: nowMs,
        })
        .onConflict((oc) => oc.column('repository_id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
      await trx
        .updateTable('repository')
        .set({ state: 'MIRROR', mirror_robot_id: settings.robotId })
        .where('id', '=', repositoryId)
        .execute();
      return true;
    });
  }

  async update(repositoryId: number, changes: Partial<MirrorSettings>): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const set = settingsColumns(changes);
      const exists = await trx
        .selectFrom('repo_mirror')
        .select('repository_id')
        .where('repository_id', '=', repositoryId)
        .forUpdate()
        .executeTakeFirst();
      if (!exists) return false;
      if (Object.keys(set).length > 0) {
        await trx
          .updateTable('repo_mirror')
          .set(set)
          .where('repository_id', '=', repositoryId)
          .execute();
      }
      if (changes.robotId !== undefined) {
        await trx
          .updateTable('repository')
          .set({ mirror_robot_id: changes.robotId })
          .where('id', '=', repositoryId)
          .execute();
      }
      return true;
    });
  }

  async requestSync(repositoryId: number, nowMs: number): Promise<SyncRequest> {
    const result = await this.db
      .updateTable('repo_mirror')
      .set({ sync_status: 'SYNC_NOW', sync_start_ms: nowMs, queued_at_ms: null })
      .where('repository_id', '=', repositoryId)
      .where((eb) =>
        eb.or([
          eb('sync_status', '!=', 'SYNCING'),
          eb('sync_expiration_ms', 'is', null),
          eb('sync_expiration_ms', '<', nowMs),
        ]),
      )
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) return 'requested';
    return (await this.find(repositoryId)) ? 'running' : 'no-mirror';
  }

  async cancelSync(repositoryId: number, nowMs: number): Promise<boolean> {
    const result = await sql`
      update repo_mirror set sync_status = 'CANCEL', sync_token = null,
        sync_expiration_ms = null, sync_run = null, queued_at_ms = null,
        sync_retries_remaining = ${MIRROR_RETRIES},
        sync_start_ms = ${nowMs}::bigint + sync_interval_s::bigint * 1000
      where repository_id = ${repositoryId}`.execute(this.db);
    return (result.numAffectedRows ?? 0n) > 0n;
  }

  async takeDue(nowMs: number, limit: number, requeueAfterMs: number): Promise<number[]> {
    const { rows } = await sql<{ repository_id: number }>`
      update repo_mirror set queued_at_ms = ${nowMs}
      where repository_id in (
        select m.repository_id from repo_mirror m
        join repository r on r.id = m.repository_id and r.state = 'MIRROR'
        where m.is_enabled and m.sync_start_ms <= ${nowMs}
          and (m.sync_status <> 'SYNCING' or m.sync_expiration_ms < ${nowMs})
          and (m.queued_at_ms is null or m.queued_at_ms < ${nowMs - requeueAfterMs})
        order by m.sync_start_ms, m.repository_id
        limit ${limit} for update of m skip locked)
      returning repository_id`.execute(this.db);
    return rows.map((r) => Number(r.repository_id));
  }

  async nextDueMs(requeueAfterMs: number): Promise<number | null> {
    const { rows } = await sql<{ due: number | string | null }>`
      select min(case
          when m.sync_status = 'SYNCING' then m.sync_expiration_ms
          when m.queued_at_ms is not null then m.queued_at_ms + ${requeueAfterMs}
          else m.sync_start_ms end) as due
      from repo_mirror m join repository r on r.id = m.repository_id and r.state = 'MIRROR'
      where m.is_enabled`.execute(this.db);
    const due = rows[0]?.due;
    return due === null || due === undefined ? null : Number(due);
  }

  async claim(
    repositoryId: number,
    token: string,
    nowMs: number,
    untilMs: number,
  ): Promise<MirrorRecord | null> {
    const { rows } = await sql<{ repository_id: number }>`
      update repo_mirror m set sync_status = 'SYNCING', sync_token = ${token},
        sync_expiration_ms = ${untilMs}, sync_run = null, queued_at_ms = null,
        sync_retries_remaining = case
          when m.sync_status = 'SYNCING' then greatest(m.sync_retries_remaining - 1, 0)
          else m.sync_retries_remaining end
      from repository r
      where m.repository_id = ${repositoryId} and r.id = m.repository_id and r.state = 'MIRROR'
        and m.is_enabled and m.sync_start_ms <= ${nowMs}
        and (m.sync_status <> 'SYNCING' or m.sync_expiration_ms < ${nowMs})
      returning m.repository_id`.execute(this.db);
    return rows.length > 0 ? this.find(repositoryId) : null;
  }

  async resume(
    claim: MirrorClaim,
    nowMs: number,
    untilMs: number,
  ): Promise<{ mirror: MirrorRecord; run: SyncRun } | null> {
    const result = await this.db
      .updateTable('repo_mirror')
      .set({ sync_expiration_ms: untilMs })
      .where('repository_id', '=', claim.repositoryId)
      .where('sync_token', '=', claim.token)
      .where('sync_status', '=', 'SYNCING')
      .where('sync_expiration_ms', '>=', nowMs)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return null;
    const row = await this.select()
      .where('m.repository_id', '=', claim.repositoryId)
      .executeTakeFirst();
    if (!row?.sync_run) return null;
    return { mirror: toRecord(row), run: row.sync_run as unknown as SyncRun };
  }

  async saveRun(claim: MirrorClaim, run: SyncRun, untilMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('repo_mirror')
      .set({ sync_run: asJson(run), sync_expiration_ms: untilMs })
      .where('repository_id', '=', claim.repositoryId)
      .where('sync_token', '=', claim.token)
      .where('sync_status', '=', 'SYNCING')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async finish(
    claim: MirrorClaim,
    outcome: SyncOutcome,
    event: MirrorEvent,
  ): Promise<{ deliveries: number } | null> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('repo_mirror')
        .set({
          sync_status: outcome.status,
          sync_token: null,
          sync_expiration_ms: null,
          sync_run: null,
          queued_at_ms: null,
          sync_start_ms: outcome.nextStartMs,
          sync_retries_remaining: outcome.retriesRemaining,
          last_sync_ms: outcome.nowMs,
          last_error: outcome.error,
        })
        .where('repository_id', '=', claim.repositoryId)
        .where('sync_token', '=', claim.token)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return null;
      return { deliveries: await this.record(trx, event, outcome.nowMs) };
    });
  }

  async recordEvent(event: MirrorEvent, nowMs: number): Promise<number> {
    return this.db.transaction().execute((trx) => this.record(trx, event, nowMs));
  }

  private async record(db: Kysely<Database>, event: MirrorEvent, nowMs: number): Promise<number> {
    const { mirror } = event;
    const { namespace } = splitRepositoryName(mirror.repositoryName);
    const { deliveries } = await recordRegistryEvent(db, {
      kind: event.kind,
      performer:
        mirror.robotId !== null && mirror.robotName !== null
          ? { id: mirror.robotId, name: mirror.robotName }
          : null,
      namespace:
        namespace !== null && mirror.namespaceId !== null
          ? { id: mirror.namespaceId, name: namespace }
          : null,
      repository: { id: mirror.repositoryId, name: mirror.repositoryName },
      data: repositoryEventData(mirror.repositoryName, event.data),
      audit: { ...event.data, namespace },
      nowMs,
    });
    return deliveries;
  }
}
