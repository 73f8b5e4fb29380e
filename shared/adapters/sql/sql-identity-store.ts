import { sql, type Kysely, type Selectable } from 'kysely';
import {
  AccountExistsError,
  type AccessFacts,
  type AccountChanges,
  type NewRepository,
  type RepositoryChanges,
  type AccountKind,
  type AccountRecord,
  type AppTokenRecord,
  type AuditEntry,
  type AuditQuery,
  type DefaultPermissionEntry,
  type Delegate,
  type IdentityStore,
  type LoginSecrets,
  type NewAccount,
  type PermissionEntry,
  type RepositoryInfo,
  type RepositoryAuditEntry,
  type RepositoryQuery,
  type RepositoryRole,
  type TeamRecord,
  type TeamRole,
} from '../../ports/identity-store.js';
import type { AccountTable, AppTokenTable, Database, RepositoryTable } from './schema.js';

const ACCOUNT_COLUMNS = [
  'account.id',
  'account.name',
  'account.kind',
  'account.email',
  'account.description',
  'account.robot_owner_id',
  'account.created_at_ms',
  'account.last_accessed_ms',
] as const;

type AccountRow = Pick<
  Selectable<AccountTable>,
  | 'id'
  | 'name'
  | 'kind'
  | 'email'
  | 'description'
  | 'robot_owner_id'
  | 'created_at_ms'
  | 'last_accessed_ms'
>;

const toAccount = (r: AccountRow): AccountRecord => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  email: r.email,
  description: r.description,
  robotOwnerId: r.robot_owner_id,
  createdAtMs: r.created_at_ms,
  lastAccessedMs: r.last_accessed_ms,
});

const REPOSITORY_COLUMNS = [
  'repository.id',
  'repository.name',
  'repository.namespace_id',
  'repository.visibility',
  'repository.state',
  'repository.description',
  'repository.mirror_robot_id',
  'repository.created_at_ms',
] as const;

const toRepository = (r: Selectable<RepositoryTable>): RepositoryInfo => ({
  id: r.id,
  name: r.name,
  namespaceId: r.namespace_id,
  visibility: r.visibility,
  state: r.state,
  description: r.description,
  mirrorRobotId: r.mirror_robot_id,
  createdAtMs: r.created_at_ms,
});

const toAppToken = (r: Omit<Selectable<AppTokenTable>, 'token_hash'>): AppTokenRecord => ({
  id: r.id,
  accountId: r.account_id,
  title: r.title,
  createdAtMs: r.created_at_ms,
  expiresAtMs: r.expires_at_ms,
  lastAccessedMs: r.last_accessed_ms,
});

const delegateColumns = (d: Delegate) =>
  'accountId' in d
    ? { account_id: d.accountId, team_id: null }
    : { account_id: null, team_id: d.teamId };

/** Teams the account is on. */
const teamIdsOf = (db: Kysely<Database>, accountId: number) =>
  db.selectFrom('team_member').select('team_member.team_id').where('account_id', '=', accountId);

/** The identity store over any Postgres that Kysely reaches (PGlite, node-postgres, Data API). */
export class SqlIdentityStore implements IdentityStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createAccount(a: NewAccount): Promise<AccountRecord> {
    const row = await this.db
      .insertInto('account')
      .values({
        name: a.name,
        kind: a.kind,
        email: a.email ?? null,
        password_hash: a.passwordHash ?? null,
        token_hash: a.tokenHash ?? null,
        robot_owner_id: a.robotOwnerId ?? null,
        description: a.description ?? '',
        created_at_ms: a.nowMs,
        last_invalid_login_ms: null,
        last_accessed_ms: null,
      })
      .onConflict((oc) => oc.doNothing())
      .returning(ACCOUNT_COLUMNS)
      .executeTakeFirst();
    if (!row) throw new AccountExistsError(a.name);
    return toAccount(row);
  }

  async findAccount(name: string): Promise<AccountRecord | null> {
    const row = await this.db
      .selectFrom('account')
      .select(ACCOUNT_COLUMNS)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  async findAccountById(id: number): Promise<AccountRecord | null> {
    const row = await this.db
      .selectFrom('account')
      .select(ACCOUNT_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  async countAccounts(kind: AccountKind): Promise<number> {
    const row = await this.db
      .selectFrom('account')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async listAccounts(kind: AccountKind, after: string | undefined, limit: number) {
    let query = this.db
      .selectFrom('account')
      .select(ACCOUNT_COLUMNS)
      .where('kind', '=', kind)
      .orderBy('name')
      .limit(limit);
    if (after !== undefined) query = query.where('name', '>', after);
    return (await query.execute()).map(toAccount);
  }

  async updateAccount(id: number, changes: AccountChanges): Promise<void> {
    const set: Partial<Record<string, unknown>> = {};
    if (changes.email !== undefined) set.email = changes.email;
    if (changes.description !== undefined) set.description = changes.description;
    if (changes.passwordHash !== undefined) set.password_hash = changes.passwordHash;
    if (changes.tokenHash !== undefined) set.token_hash = changes.tokenHash;
    if (Object.keys(set).length === 0) return;
    try {
      await this.db.updateTable('account').set(set).where('id', '=', id).execute();
    } catch (error) {
      // Only the e-mail can collide: names never change.
      if (isUniqueViolation(error)) throw new AccountExistsError(String(changes.email));
      throw error;
    }
  }

  async deleteAccount(id: number): Promise<void> {
    // Robots go with their owner through the foreign key; their repositories too.
    await this.db.deleteFrom('account').where('id', '=', id).execute();
  }

  async loginSecrets(id: number): Promise<LoginSecrets> {
    const row = await this.db
      .selectFrom('account')
      .select(['password_hash', 'token_hash', 'invalid_login_attempts', 'last_invalid_login_ms'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return {
      passwordHash: row.password_hash,
      tokenHash: row.token_hash,
      invalidLoginAttempts: row.invalid_login_attempts,
      lastInvalidLoginMs: row.last_invalid_login_ms,
    };
  }

  async recordLoginFailure(id: number, nowMs: number): Promise<void> {
    await this.db
      .updateTable('account')
      .set((eb) => ({
        invalid_login_attempts: eb('invalid_login_attempts', '+', 1),
        last_invalid_login_ms: nowMs,
      }))
      .where('id', '=', id)
      .execute();
  }

  async recordLoginSuccess(id: number, nowMs: number): Promise<void> {
    await this.db
      .updateTable('account')
      .set({ invalid_login_attempts: 0, last_accessed_ms: nowMs })
      .where('id', '=', id)
      .execute();
  }

  async listRobots(ownerId: number): Promise<AccountRecord[]> {
    const rows = await this.db
      .selectFrom('account')
      .select(ACCOUNT_COLUMNS)
      .where('robot_owner_id', '=', ownerId)
      .orderBy('name')
      .execute();
    return rows.map(toAccount);
  }

  private teamQuery() {
    return this.db.selectFrom('team').select((eb) => [
      'team.id',
      'team.organization_id',
      'team.name',
      'team.role',
      'team.description',
      eb
        .selectFrom('team_member')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('team_member.team_id', '=', 'team.id')
        .as('member_count'),
      eb
        .selectFrom('repository_permission')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('repository_permission.team_id', '=', 'team.id')
        .as('repository_count'),
    ]);
  }

  private static toTeam(r: {
    id: number;
    organization_id: number;
    name: string;
    role: TeamRole;
    description: string;
    member_count: number | null;
    repository_count: number | null;
  }): TeamRecord {
    return {
      id: r.id,
      organizationId: r.organization_id,
      name: r.name,
      role: r.role,
      description: r.description,
      memberCount: Number(r.member_count ?? 0),
      repositoryCount: Number(r.repository_count ?? 0),
    };
  }

  async upsertTeam(organizationId: number, name: string, role: TeamRole, description: string) {
    await this.db
      .insertInto('team')
      .values({ organization_id: organizationId, name, role, description })
      .onConflict((oc) =>
        oc.columns(['organization_id', 'name']).doUpdateSet({ role, description }),
      )
      .execute();
    const team = await this.findTeam(organizationId, name);
    if (!team) throw new Error(`team ${name} vanished while being saved`);
    return team;
  }

  async findTeam(organizationId: number, name: string): Promise<TeamRecord | null> {
    const row = await this.teamQuery()
      .where('team.organization_id', '=', organizationId)
      .where('team.name', '=', name)
      .executeTakeFirst();
    return row ? SqlIdentityStore.toTeam(row) : null;
  }

  async listTeams(organizationId: number): Promise<TeamRecord[]> {
    const rows = await this.teamQuery()
      .where('team.organization_id', '=', organizationId)
      .orderBy('team.name')
      .execute();
    return rows.map(SqlIdentityStore.toTeam);
  }

  async deleteTeam(teamId: number): Promise<void> {
    await this.db.deleteFrom('team').where('id', '=', teamId).execute();
  }

  async addTeamMember(teamId: number, accountId: number): Promise<void> {
    await this.db
      .insertInto('team_member')
      .values({ team_id: teamId, account_id: accountId })
      .onConflict((oc) => oc.columns(['team_id', 'account_id']).doNothing())
      .execute();
  }

  async removeTeamMember(teamId: number, accountId: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom('team_member')
      .where('team_id', '=', teamId)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listTeamMembers(teamId: number): Promise<AccountRecord[]> {
    const rows = await this.db
      .selectFrom('team_member')
      .innerJoin('account', 'account.id', 'team_member.account_id')
      .select(ACCOUNT_COLUMNS)
      .where('team_member.team_id', '=', teamId)
      .orderBy('account.name')
      .execute();
    return rows.map(toAccount);
  }

  async teamsOf(organizationId: number, accountId: number): Promise<TeamRecord[]> {
    const rows = await this.teamQuery()
      .where('team.organization_id', '=', organizationId)
      .where('team.id', 'in', teamIdsOf(this.db, accountId))
      .orderBy('team.name')
      .execute();
    return rows.map(SqlIdentityStore.toTeam);
  }

  async organizationsOf(accountId: number) {
    const rows = await this.db
      .selectFrom('team')
      .innerJoin('team_member', 'team_member.team_id', 'team.id')
      .innerJoin('account', 'account.id', 'team.organization_id')
      .select([...ACCOUNT_COLUMNS, 'team.role as team_role'])
      .where('team_member.account_id', '=', accountId)
      .orderBy('account.name')
      .execute();
    const byOrg = new Map<number, { organization: AccountRecord; role: TeamRole }>();
    for (const row of rows) {
      const seen = byOrg.get(row.id);
      if (!seen || teamRank(row.team_role) > teamRank(seen.role)) {
        byOrg.set(row.id, { organization: toAccount(row), role: row.team_role });
      }
    }
    return [...byOrg.values()];
  }

  async findRepository(name: string): Promise<RepositoryInfo | null> {
    const row = await this.db
      .selectFrom('repository')
      .select(REPOSITORY_COLUMNS)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? toRepository(row) : null;
  }

  async createRepository(r: NewRepository): Promise<RepositoryInfo> {
    return this.db.transaction().execute(async (trx) => {
      const created = await trx
        .insertInto('repository')
        .values({
          name: r.name,
          namespace_id: r.namespaceId,
          visibility: r.visibility,
          description: r.description,
          created_at_ms: r.nowMs,
          mirror_robot_id: null,
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning(REPOSITORY_COLUMNS)
        .executeTakeFirst();
      if (!created) {
        const existing = await trx
          .selectFrom('repository')
          .select(REPOSITORY_COLUMNS)
          .where('name', '=', r.name)
          .executeTakeFirstOrThrow();
        return toRepository(existing);
      }
      const defaults = await trx
        .selectFrom('default_permission')
        .select(['account_id', 'team_id', 'role'])
        .where('organization_id', '=', r.namespaceId)
        .execute();
      const grants = defaults.map((d) => ({ ...d, repository_id: created.id }));
      if (r.creatorGrant) {
        grants.push({
          repository_id: created.id,
          account_id: r.creatorGrant.accountId,
          team_id: null,
          role: r.creatorGrant.role,
        });
      }
      for (const grant of grants) {
        const conflictColumns =
          grant.account_id !== null
            ? (['repository_id', 'account_id'] as const)
            : (['repository_id', 'team_id'] as const);
        await trx
          .insertInto('repository_permission')
          .values(grant)
          .onConflict((oc) =>
            oc
              .columns([...conflictColumns])
              .where(grant.account_id !== null ? 'account_id' : 'team_id', 'is not', null)
              .doUpdateSet({ role: grant.role }),
          )
          .execute();
      }
      return toRepository(created);
    });
  }

  async updateRepository(id: number, changes: RepositoryChanges): Promise<void> {
    const set: Partial<Record<string, unknown>> = {};
    if (changes.visibility !== undefined) set.visibility = changes.visibility;
    if (changes.state !== undefined) set.state = changes.state;
    if (changes.description !== undefined) set.description = changes.description;
    if (changes.mirrorRobotId !== undefined) set.mirror_robot_id = changes.mirrorRobotId;
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('repository').set(set).where('id', '=', id).execute();
  }

  async deleteRepository(id: number): Promise<void> {
    await this.db.deleteFrom('repository').where('id', '=', id).execute();
  }

  async listRepositories(q: RepositoryQuery): Promise<RepositoryInfo[]> {
    let query = this.db
      .selectFrom('repository')
      .select(REPOSITORY_COLUMNS)
      .orderBy('repository.name')
      .limit(q.limit);
    if (q.after !== undefined) query = query.where('repository.name', '>', q.after);
    if (q.namespaceId !== undefined)
      query = query.where('repository.namespace_id', '=', q.namespaceId);
    if (q.publicOnly) query = query.where('repository.visibility', '=', 'public');
    if (!q.superuser) {
      const viewer = q.viewerId;
      query = query.where((eb) => {
        const visible = [eb('repository.visibility', '=', 'public')];
        if (viewer !== null) {
          visible.push(
            eb('repository.namespace_id', '=', viewer),
            eb.exists(
              eb
                .selectFrom('repository_permission as p')
                .select('p.id')
                .whereRef('p.repository_id', '=', 'repository.id')
                .where((e) =>
                  e.or([
                    e('p.account_id', '=', viewer),
                    e('p.team_id', 'in', teamIdsOf(this.db, viewer)),
                  ]),
                ),
            ),
            eb.exists(
              eb
                .selectFrom('team as t')
                .select('t.id')
                .whereRef('t.organization_id', '=', 'repository.namespace_id')
                .where('t.role', '=', 'admin')
                .where('t.id', 'in', teamIdsOf(this.db, viewer)),
            ),
          );
        }
        return eb.or(visible);
      });
    }
    return (await query.execute()).map(toRepository);
  }

  async accessFacts(repository: RepositoryInfo, accountId: number): Promise<AccessFacts> {
    const granted = await this.db
      .selectFrom('repository_permission')
      .select('role')
      .where('repository_id', '=', repository.id)
      .where((eb) =>
        eb.or([
          eb('account_id', '=', accountId),
          eb('team_id', 'in', teamIdsOf(this.db, accountId)),
        ]),
      )
      .execute();
    const teams =
      repository.namespaceId === null ? [] : await this.teamsOf(repository.namespaceId, accountId);
    return {
      grantedRole: highest(
        granted.map((g) => g.role),
        repositoryRank,
      ),
      teamRole: highest(
        teams.map((t) => t.role),
        teamRank,
      ),
    };
  }

  async listPermissions(
    repositoryId: number,
    kind: 'account' | 'team',
  ): Promise<PermissionEntry[]> {
    if (kind === 'team') {
      const rows = await this.db
        .selectFrom('repository_permission')
        .innerJoin('team', 'team.id', 'repository_permission.team_id')
        .select(['team.name', 'repository_permission.role'])
        .where('repository_permission.repository_id', '=', repositoryId)
        .orderBy('team.name')
        .execute();
      return rows.map((r) => ({ name: r.name, role: r.role, kind: 'team' }));
    }
    const rows = await this.db
      .selectFrom('repository_permission')
      .innerJoin('account', 'account.id', 'repository_permission.account_id')
      .select(['account.name', 'account.kind', 'repository_permission.role'])
      .where('repository_permission.repository_id', '=', repositoryId)
      .orderBy('account.name')
      .execute();
    return rows.map((r) => ({
      name: r.name,
      role: r.role,
      kind: r.kind === 'robot' ? 'robot' : 'user',
    }));
  }

  async setPermission(repositoryId: number, delegate: Delegate, role: RepositoryRole) {
    const columns = delegateColumns(delegate);
    const target = 'accountId' in delegate ? 'account_id' : 'team_id';
    await this.db
      .insertInto('repository_permission')
      .values({ repository_id: repositoryId, ...columns, role })
      .onConflict((oc) =>
        oc.columns(['repository_id', target]).where(target, 'is not', null).doUpdateSet({ role }),
      )
      .execute();
  }

  async deletePermission(repositoryId: number, delegate: Delegate): Promise<boolean> {
    const result = await this.db
      .deleteFrom('repository_permission')
      .where('repository_id', '=', repositoryId)
      .where((eb) =>
        'accountId' in delegate
          ? eb('account_id', '=', delegate.accountId)
          : eb('team_id', '=', delegate.teamId),
      )
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listDefaultPermissions(organizationId: number): Promise<DefaultPermissionEntry[]> {
    const rows = await this.db
      .selectFrom('default_permission as d')
      .leftJoin('account', 'account.id', 'd.account_id')
      .leftJoin('team', 'team.id', 'd.team_id')
      .select([
        'd.id',
        'd.role',
        'account.name as account_name',
        'account.kind',
        'team.name as team_name',
      ])
      .where('d.organization_id', '=', organizationId)
      .orderBy('d.id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      role: r.role,
      name: r.team_name ?? r.account_name ?? '',
      kind: r.team_name !== null ? 'team' : r.kind === 'robot' ? 'robot' : 'user',
    }));
  }

  async createDefaultPermission(
    id: string,
    organizationId: number,
    delegate: Delegate,
    role: RepositoryRole,
  ): Promise<void> {
    await this.db
      .insertInto('default_permission')
      .values({ id, organization_id: organizationId, ...delegateColumns(delegate), role })
      .execute();
  }

  async deleteDefaultPermission(organizationId: number, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('default_permission')
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async createAppToken(t: AppTokenRecord & { tokenHash: string }): Promise<void> {
    await this.db
      .insertInto('app_token')
      .values({
        id: t.id,
        account_id: t.accountId,
        title: t.title,
        token_hash: t.tokenHash,
        created_at_ms: t.createdAtMs,
        expires_at_ms: t.expiresAtMs,
        last_accessed_ms: t.lastAccessedMs,
      })
      .execute();
  }

  async findAppTokenByHash(tokenHash: string): Promise<AppTokenRecord | null> {
    const row = await this.db
      .selectFrom('app_token')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row ? toAppToken(row) : null;
  }

  async listAppTokens(accountId: number): Promise<AppTokenRecord[]> {
    const rows = await this.db
      .selectFrom('app_token')
      .select(['id', 'account_id', 'title', 'created_at_ms', 'expires_at_ms', 'last_accessed_ms'])
      .where('account_id', '=', accountId)
      .orderBy('created_at_ms')
      .execute();
    return rows.map(toAppToken);
  }

  async deleteAppToken(accountId: number, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('app_token')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async touchAppToken(id: string, nowMs: number): Promise<void> {
    await this.db
      .updateTable('app_token')
      .set({ last_accessed_ms: nowMs })
      .where('id', '=', id)
      .execute();
  }

  async appendAudit(e: AuditEntry): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        kind: e.kind,
        performer_id: e.performer?.id ?? null,
        performer_name: e.performer?.name ?? null,
        namespace_id: e.namespace?.id ?? null,
        namespace_name: e.namespace?.name ?? null,
        repository_id: e.repository?.id ?? null,
        repository_name: e.repository?.name ?? null,
        ip: e.ip,
        metadata: sql`${JSON.stringify(e.metadata)}::jsonb`,
        created_at_ms: e.createdAtMs,
      })
      .execute();
  }

  async appendAuditForRepositories(entries: RepositoryAuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // Typed casts: in VALUES, Postgres infers no parameter types. Ordered, so
    // ids (the log's order) follow the order the events happened in.
    const rows = entries.map((e, ord) => {
      const slash = e.repositoryName.indexOf('/');
      return sql`(${ord}::integer, ${e.repositoryName}::text, ${e.kind}::text, ${e.performer?.id ?? null}::bigint,
        ${e.performer?.name ?? null}::text,
        ${slash > 0 ? e.repositoryName.slice(0, slash) : null}::text,
        ${e.repositoryName.slice(slash + 1)}::text, ${e.ip}::text,
        ${JSON.stringify(e.metadata)}::jsonb, ${e.createdAtMs}::bigint)`;
    });
    await sql`
      insert into audit_log (kind, performer_id, performer_name, namespace_id, namespace_name,
        repository_id, repository_name, ip, metadata, created_at_ms)
      select v.kind, v.performer_id, v.performer_name, r.namespace_id, v.namespace_name,
        r.id, v.repository_name, v.ip, v.metadata, v.created_at_ms
      from (values ${sql.join(rows)}) as v(ord, full_name, kind, performer_id, performer_name,
        namespace_name, repository_name, ip, metadata, created_at_ms)
      join repository r on r.name = v.full_name
      order by v.ord
    `.execute(this.db);
  }

  async listAudit(q: AuditQuery): Promise<(AuditEntry & { id: number })[]> {
    let query = this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('created_at_ms', '>=', q.fromMs)
      .where('created_at_ms', '<', q.toMs)
      .orderBy('id', 'desc')
      .limit(q.limit);
    if (q.repositoryId !== undefined) query = query.where('repository_id', '=', q.repositoryId);
    if (q.namespaceId !== undefined) query = query.where('namespace_id', '=', q.namespaceId);
    if (q.performerId !== undefined) query = query.where('performer_id', '=', q.performerId);
    if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
    const rows = await query.execute();
    const ref = (id: number | null, name: string | null) =>
      id !== null && name !== null ? { id, name } : null;
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      performer: ref(r.performer_id, r.performer_name),
      namespace: ref(r.namespace_id, r.namespace_name),
      repository: ref(r.repository_id, r.repository_name),
      ip: r.ip,
      metadata: typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata,
      createdAtMs: r.created_at_ms,
    }));
  }
}

const REPOSITORY_ROLES: RepositoryRole[] = ['read', 'write', 'admin'];
const TEAM_ROLES: TeamRole[] = ['member', 'creator', 'admin'];
const repositoryRank = (r: RepositoryRole) => REPOSITORY_ROLES.indexOf(r);
const teamRank = (r: TeamRole) => TEAM_ROLES.indexOf(r);

function highest<T>(values: T[], rank: (v: T) => number): T | null {
  let best: T | null = null;
  for (const v of values) if (best === null || rank(v) > rank(best)) best = v;
  return best;
}

function isUniqueViolation(error: unknown): boolean {
  const text = String((error as { code?: unknown })?.code ?? '') + String(error);
  return text.includes('23505') || /duplicate key/i.test(text);
}
