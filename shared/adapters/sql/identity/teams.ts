import type { Kysely } from 'kysely';
import type { AccountRecord, TeamRecord, TeamRole } from '../../../ports/identity-store.js';
import type { Database } from '../schema.js';
import { ACCOUNT_COLUMNS, teamIdsOf, teamRank, toAccount } from './rows.js';

/** Organization teams and their members. */
export class SqlTeams {
  constructor(private readonly db: Kysely<Database>) {}

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
    return row ? SqlTeams.toTeam(row) : null;
  }

  async listTeams(organizationId: number): Promise<TeamRecord[]> {
    const rows = await this.teamQuery()
      .where('team.organization_id', '=', organizationId)
      .orderBy('team.name')
      .execute();
    return rows.map(SqlTeams.toTeam);
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
    return rows.map(SqlTeams.toTeam);
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
}
