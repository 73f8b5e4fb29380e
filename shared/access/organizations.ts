import { changeTagExpiration } from './tag-expiration.js';
import { accessError } from '../errors/access-error.js';
import {
  AccountExistsError,
  type AccountRecord,
  type TeamRecord,
  type TeamRole,
} from '../ports/identity-store.js';
import type { RepositoryRole } from '../ports/identity-store.js';
import type { AccessServices } from './access-services.js';
import { assertEmail, assertNamespaceName, assertTeamName } from './names.js';
import type { Principal } from './principal.js';
import { requireNamespace, requireSuperuser, requireUser } from './users.js';

/** Every organization starts with this admin team holding its creator, as in Quay. */
export const OWNERS_TEAM = 'owners';

/** Organizations, their teams and team members. */
export class OrganizationService {
  constructor(private readonly s: AccessServices) {}

  /** Every organization, by name, a page at a time (superusers). */
  async listAll(actor: Principal, after: string | undefined, limit: number) {
    requireSuperuser(actor);
    return this.s.deps.store.listAccounts('organization', after, limit);
  }

  async requireOrganization(name: string): Promise<AccountRecord> {
    const account = await requireNamespace(this.s, name);
    if (account.kind !== 'organization') throw accessError('not_found', `no organization ${name}`);
    return account;
  }

  async requireAdmin(actor: Principal, name: string): Promise<AccountRecord> {
    const organization = await this.requireOrganization(name);
    if (!(await this.s.rules.isOrganizationAdmin(actor, organization))) {
      throw accessError('forbidden', `you are not an administrator of ${name}`);
    }
    return organization;
  }

  async create(actor: Principal, name: string, email: string | null): Promise<AccountRecord> {
    const user = requireUser(actor);
    assertNamespaceName(name);
    if (email !== null) assertEmail(email);
    const { store, clock } = this.s.deps;
    let organization: AccountRecord;
    try {
      organization = await store.createAccount({
        name,
        kind: 'organization',
        email,
        nowMs: clock.now(),
      });
    } catch (error) {
      if (error instanceof AccountExistsError) {
        throw accessError(
          'conflict',
          'a user or organization with this name or e-mail already exists',
        );
      }
      throw error;
    }
    const owners = await store.upsertTeam(organization.id, OWNERS_TEAM, 'admin', '');
    await store.addTeamMember(owners.id, user.account.id);
    await this.s.audit.record('org_create', actor, { namespace: organization }, { email });
    return organization;
  }

  async update(
    actor: Principal,
    name: string,
    changes: { email?: string | undefined; tagExpirationS?: number | undefined },
  ) {
    const organization = await this.requireAdmin(actor, name);
    if (changes.tagExpirationS !== undefined) {
      await changeTagExpiration(
        this.s,
        actor,
        organization,
        changes.tagExpirationS,
        'org_change_tag_expiration',
      );
    }
    if (changes.email !== undefined) {
      assertEmail(changes.email);
      try {
        await this.s.deps.store.updateAccount(organization.id, { email: changes.email });
      } catch (error) {
        if (error instanceof AccountExistsError)
          throw accessError('conflict', 'e-mail already in use');
        throw error;
      }
      await this.s.audit.record(
        'org_change_email',
        actor,
        { namespace: organization },
        {
          email: changes.email,
        },
      );
    }
    return (await this.s.deps.store.findAccountById(organization.id))!;
  }

  async delete(actor: Principal, name: string) {
    const organization = await this.requireAdmin(actor, name);
    await this.s.deps.store.deleteAccount(organization.id);
    await this.s.audit.record('org_delete', actor, { namespace: organization });
  }

  /** The caller's view of the organization: teams only for its members. */
  async view(actor: Principal, name: string) {
    const organization = await this.requireOrganization(name);
    const isAdmin = await this.s.rules.isOrganizationAdmin(actor, organization);
    const memberTeams =
      actor.kind === 'anonymous'
        ? []
        : await this.s.deps.store.teamsOf(organization.id, actor.account.id);
    const isMember = isAdmin || memberTeams.length > 0;
    const teams = isAdmin ? await this.s.deps.store.listTeams(organization.id) : memberTeams;
    return { organization, isAdmin, isMember, teams: isMember ? teams : [] };
  }

  async members(actor: Principal, name: string) {
    const organization = await this.requireAdmin(actor, name);
    const members = new Map<string, { account: AccountRecord; teams: string[] }>();
    for (const team of await this.s.deps.store.listTeams(organization.id)) {
      for (const account of await this.s.deps.store.listTeamMembers(team.id)) {
        const entry = members.get(account.name) ?? { account, teams: [] };
        entry.teams.push(team.name);
        members.set(account.name, entry);
      }
    }
    return [...members.values()].sort((a, b) => (a.account.name < b.account.name ? -1 : 1));
  }

  async saveTeam(
    actor: Principal,
    orgName: string,
    teamName: string,
    role: TeamRole,
    description: string | undefined,
  ): Promise<TeamRecord> {
    const organization = await this.requireAdmin(actor, orgName);
    assertTeamName(teamName);
    const { store } = this.s.deps;
    const existing = await store.findTeam(organization.id, teamName);
    if (existing?.name === OWNERS_TEAM && role !== 'admin') {
      throw accessError('invalid_request', 'the owners team must keep the admin role');
    }
    const team = await store.upsertTeam(
      organization.id,
      teamName,
      role,
      description ?? existing?.description ?? '',
    );
    if (!existing) {
      await this.s.audit.record(
        'org_create_team',
        actor,
        { namespace: organization },
        { team: teamName },
      );
    } else if (existing.role !== role) {
      await this.s.audit.record(
        'org_set_team_role',
        actor,
        { namespace: organization },
        {
          team: teamName,
          role,
        },
      );
    }
    return team;
  }

  async requireTeam(organization: AccountRecord, teamName: string): Promise<TeamRecord> {
    const team = await this.s.deps.store.findTeam(organization.id, teamName);
    if (!team) throw accessError('not_found', `no team ${teamName} in ${organization.name}`);
    return team;
  }

  async deleteTeam(actor: Principal, orgName: string, teamName: string) {
    const organization = await this.requireAdmin(actor, orgName);
    const team = await this.requireTeam(organization, teamName);
    if (team.name === OWNERS_TEAM)
      throw accessError('invalid_request', 'the owners team cannot be deleted');
    await this.s.deps.store.deleteTeam(team.id);
    await this.s.audit.record(
      'org_delete_team',
      actor,
      { namespace: organization },
      { team: teamName },
    );
  }

  /** The repositories a team has a role on (organization admins). */
  async teamPermissions(actor: Principal, orgName: string, teamName: string) {
    const organization = await this.requireAdmin(actor, orgName);
    const team = await this.requireTeam(organization, teamName);
    return this.s.deps.store.teamPermissions(team.id);
  }

  async teamMembers(actor: Principal, orgName: string, teamName: string) {
    const organization = await this.requireOrganization(orgName);
    const team = await this.requireTeam(organization, teamName);
    const isAdmin = await this.s.rules.isOrganizationAdmin(actor, organization);
    const members = await this.s.deps.store.listTeamMembers(team.id);
    const onTeam = actor.kind !== 'anonymous' && members.some((m) => m.id === actor.account.id);
    if (!isAdmin && !onTeam) throw accessError('forbidden', `you cannot view team ${teamName}`);
    return { team, members, canEdit: isAdmin };
  }

  /** Users, and robots of this organization, may join its teams. */
  async addTeamMember(actor: Principal, orgName: string, teamName: string, memberName: string) {
    const organization = await this.requireAdmin(actor, orgName);
    const team = await this.requireTeam(organization, teamName);
    const member = await this.s.deps.store.findAccount(memberName);
    const allowed =
      member &&
      (member.kind === 'user' ||
        (member.kind === 'robot' && member.robotOwnerId === organization.id));
    if (!member || !allowed)
      throw accessError('not_found', `no user or robot ${memberName} in ${orgName}`);
    await this.s.deps.store.addTeamMember(team.id, member.id);
    await this.s.audit.record(
      'org_add_team_member',
      actor,
      { namespace: organization },
      {
        team: teamName,
        member: memberName,
      },
    );
    return member;
  }

  async removeTeamMember(actor: Principal, orgName: string, teamName: string, memberName: string) {
    const organization = await this.requireAdmin(actor, orgName);
    const team = await this.requireTeam(organization, teamName);
    const member = await this.s.deps.store.findAccount(memberName);
    if (!member) throw accessError('not_found', `no member ${memberName}`);
    if (team.name === OWNERS_TEAM && team.memberCount <= 1) {
      throw accessError('invalid_request', 'the owners team must keep at least one member');
    }
    if (!(await this.s.deps.store.removeTeamMember(team.id, member.id))) {
      throw accessError('not_found', `${memberName} is not on team ${teamName}`);
    }
    await this.s.audit.record(
      'org_remove_team_member',
      actor,
      { namespace: organization },
      {
        team: teamName,
        member: memberName,
      },
    );
  }

  /** Quay's "prototypes": grants every new repository of the organization starts with. */
  async defaultPermissions(actor: Principal, orgName: string) {
    const organization = await this.requireAdmin(actor, orgName);
    return this.s.deps.store.listDefaultPermissions(organization.id);
  }

  async addDefaultPermission(
    actor: Principal,
    orgName: string,
    delegate: { kind: 'user' | 'team'; name: string },
    role: RepositoryRole,
  ) {
    const organization = await this.requireAdmin(actor, orgName);
    const { store, newId } = this.s.deps;
    let target: { accountId: number } | { teamId: number };
    if (delegate.kind === 'team') {
      target = { teamId: (await this.requireTeam(organization, delegate.name)).id };
    } else {
      const account = await store.findAccount(delegate.name);
      const grantable =
        account &&
        (account.kind === 'user' ||
          (account.kind === 'robot' && account.robotOwnerId === organization.id));
      if (!account || !grantable)
        throw accessError('not_found', `no user or robot ${delegate.name}`);
      target = { accountId: account.id };
    }
    const id = newId();
    await store.createDefaultPermission(id, organization.id, target, role);
    await this.s.audit.record(
      'create_prototype_permission',
      actor,
      { namespace: organization },
      {
        delegate: delegate.name,
        role,
      },
    );
    return (await store.listDefaultPermissions(organization.id)).find((p) => p.id === id)!;
  }

  async deleteDefaultPermission(actor: Principal, orgName: string, id: string) {
    const organization = await this.requireAdmin(actor, orgName);
    if (!(await this.s.deps.store.deleteDefaultPermission(organization.id, id))) {
      throw accessError('not_found', `no default permission ${id}`);
    }
    await this.s.audit.record(
      'delete_prototype_permission',
      actor,
      { namespace: organization },
      {
        id,
      },
    );
  }
}
