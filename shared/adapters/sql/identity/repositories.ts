import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  AccessFacts,
  AccountRecord,
  DefaultPermissionEntry,
  Delegate,
  NewRepository,
  PermissionEntry,
  RepositoryChanges,
  RepositoryInfo,
  RepositoryQuery,
  RepositoryRole,
} from '../../../ports/identity-store.js';
import { releaseRepository } from '../quota-accounting.js';
import type { AccountTable, Database, RepositoryTable } from '../schema.js';
import {
  ACCOUNT_COLUMNS,
  REPOSITORY_COLUMNS,
  delegateColumns,
  highest,
  repositoryRank,
  teamIdsOf,
  teamRank,
  toAccount,
  toRepository,
} from './rows.js';
import type { SqlTeams } from './teams.js';

/** Repositories as access control sees them: visibility, state, permissions, defaults. */
export class SqlRepositoryAccess {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly teams: SqlTeams,
  ) {}

  async findRepository(name: string): Promise<RepositoryInfo | null> {
    const row = await this.db
      .selectFrom('repository')
      .select(REPOSITORY_COLUMNS)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? toRepository(row) : null;
  }

  /** A token's account and the repository its request names, in one statement. */
  async findAccountAndRepository(
    accountId: number,
    repositoryName: string,
  ): Promise<{ account: AccountRecord | null; repository: RepositoryInfo | null }> {
    const { rows } = await sql<Record<string, unknown>>`
      select ${prefixed(ACCOUNT_COLUMNS, 'a_')}, ${prefixed(REPOSITORY_COLUMNS, 'r_')}
      from (select 1) as one
        left join account on account.id = ${accountId}
        left join repository on repository.name = ${repositoryName}`.execute(this.db);
    const account = unprefixed(rows[0]!, ACCOUNT_KEYS) as Selectable<AccountTable> | null;
    const repository = unprefixed(rows[0]!, REPOSITORY_KEYS) as Selectable<RepositoryTable> | null;
    return {
      account: account && toAccount(account),
      repository: repository && toRepository(repository),
    };
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
    await this.db.transaction().execute(async (trx) => {
      await releaseRepository(trx, id);
      await trx.deleteFrom('repository').where('id', '=', id).execute();
    });
  }

  async listRepositories(q: RepositoryQuery): Promise<RepositoryInfo[]> {
    let query = this.db
      .selectFrom('repository')
      .select(REPOSITORY_COLUMNS)
      .select((eb) =>
        eb
          .selectFrom('tag')
          .select((t) => t.fn.max('tag.lifetime_start_ms').as('m'))
          .whereRef('tag.repository_id', '=', 'repository.id')
          .as('last_modified_ms'),
      )
      .orderBy('repository.name')
      .limit(q.limit);
    if (q.after !== undefined) query = query.where('repository.name', '>', q.after);
    if (q.namespaceId !== undefined)
      query = query.where('repository.namespace_id', '=', q.namespaceId);
    if (q.publicOnly) query = query.where('repository.visibility', '=', 'public');
    if (q.offset) query = query.offset(q.offset);
    if (q.contains !== undefined && q.contains !== '') {
      // LIKE's own characters in the search text match themselves.
      const pattern = `%${q.contains.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
      query = query.where((eb) =>
        eb.or([
          eb('repository.name', 'ilike', pattern),
          eb('repository.description', 'ilike', pattern),
        ]),
      );
    }
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
    return (await query.execute()).map((r) => ({
      ...toRepository(r),
      lastModifiedMs: r.last_modified_ms === null ? null : Number(r.last_modified_ms),
    }));
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
      repository.namespaceId === null
        ? []
        : await this.teams.teamsOf(repository.namespaceId, accountId);
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

  async setStar(accountId: number, repositoryId: number, starred: boolean, nowMs: number) {
    if (starred) {
      await this.db
        .insertInto('repository_star')
        .values({ account_id: accountId, repository_id: repositoryId, created_at_ms: nowMs })
        .onConflict((oc) => oc.columns(['account_id', 'repository_id']).doNothing())
        .execute();
    } else {
      await this.db
        .deleteFrom('repository_star')
        .where('account_id', '=', accountId)
        .where('repository_id', '=', repositoryId)
        .execute();
    }
  }

  async isStarred(accountId: number, repositoryId: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('repository_star')
      .select('repository_id')
      .where('account_id', '=', accountId)
      .where('repository_id', '=', repositoryId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async starredRepositories(accountId: number, after: string | undefined, limit: number) {
    let query = this.db
      .selectFrom('repository_star')
      .innerJoin('repository', 'repository.id', 'repository_star.repository_id')
      .select(REPOSITORY_COLUMNS)
      .where('repository_star.account_id', '=', accountId)
      .orderBy('repository.name')
      .limit(limit);
    if (after !== undefined) query = query.where('repository.name', '>', after);
    return (await query.execute()).map(toRepository);
  }

  teamPermissions(teamId: number) {
    return this.permissionsOf('team_id', teamId);
  }

  accountPermissions(accountId: number) {
    return this.permissionsOf('account_id', accountId);
  }

  private async permissionsOf(column: 'team_id' | 'account_id', id: number) {
    const rows = await this.db
      .selectFrom('repository_permission')
      .innerJoin('repository', 'repository.id', 'repository_permission.repository_id')
      .select([...REPOSITORY_COLUMNS, 'repository_permission.role'])
      .where(`repository_permission.${column}`, '=', id)
      .orderBy('repository.name')
      .execute();
    return rows.map((r) => ({ repository: toRepository(r), role: r.role }));
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
}

/** `table.column` as `<prefix>column`: two tables' columns in one row. */
const prefixed = (columns: readonly string[], prefix: string) =>
  sql.join(columns.map((c) => sql`${sql.ref(c)} as ${sql.ref(prefix + columnOf(c))}`));

const columnOf = (qualified: string) => qualified.slice(qualified.indexOf('.') + 1);

/** Reads back what `prefixed` named: the id's key, and pairs of the row's key and the table's column. */
const unprefixing = (columns: readonly string[], prefix: string) => ({
  id: `${prefix}id`,
  pairs: columns.map((c) => [prefix + columnOf(c), columnOf(c)] as const),
});
const ACCOUNT_KEYS = unprefixing(ACCOUNT_COLUMNS, 'a_');
const REPOSITORY_KEYS = unprefixing(REPOSITORY_COLUMNS, 'r_');

/** The table's row among the joined columns; null when the outer join found none. */
function unprefixed(
  row: Record<string, unknown>,
  keys: ReturnType<typeof unprefixing>,
): Record<string, unknown> | null {
  if (row[keys.id] === null) return null;
  const table: Record<string, unknown> = {};
  for (const [key, column] of keys.pairs) table[column] = row[key];
  return table;
}
