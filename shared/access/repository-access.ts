import type {
  AccountRecord,
  IdentityStore,
  RepositoryInfo,
  RepositoryRole,
} from '../ports/identity-store.js';
import { hasScope, isSuperuser, type Principal } from './principal.js';
import { actionsOfRole, higherRole, namespaceOf, type RepositoryAction } from './roles.js';

export interface AccessRulesOptions {
  /** Quay's FEATURE_SUPERUSERS_FULL_ACCESS: superusers read and write every repository. */
  superusersFullAccess: boolean;
}

/**
 * The access rules, in one place:
 * - a user owns their namespace and administers every repository in it;
 * - members of an organization team with role `admin` administer every
 *   repository of the organization; `creator` may create repositories;
 * - everything else comes from explicit grants (to the account or its teams);
 * - anyone may pull a public repository;
 * - `READ_ONLY` repositories refuse every write; `MIRROR` repositories take
 *   writes from their mirror robot only.
 */
export class RepositoryAccess {
  constructor(
    private readonly store: IdentityStore,
    private readonly options: AccessRulesOptions,
  ) {}

  /** The principal's role, capped by an OAuth token's repo scopes. */
  async roleOn(principal: Principal, repository: RepositoryInfo): Promise<RepositoryRole | null> {
    const role = await this.uncappedRoleOn(principal, repository);
    if (role === null || principal.kind === 'anonymous' || principal.scopes === undefined)
      return role;
    const cap: RepositoryRole | null = hasScope(principal, 'repo:admin')
      ? 'admin'
      : hasScope(principal, 'repo:write')
        ? 'write'
        : hasScope(principal, 'repo:read')
          ? 'read'
          : null;
    if (cap === null) return null;
    return higherRole(role, cap) === role ? cap : role;
  }

  private async uncappedRoleOn(
    principal: Principal,
    repository: RepositoryInfo,
  ): Promise<RepositoryRole | null> {
    if (principal.kind === 'anonymous') return null;
    if (isSuperuser(principal) && this.options.superusersFullAccess) return 'admin';
    const account = principal.account;
    if (principal.kind === 'user' && repository.namespaceId === account.id) return 'admin';
    const facts = await this.store.accessFacts(repository, account.id);
    if (facts.teamRole === 'admin') return 'admin';
    return facts.grantedRole;
  }

  /**
   * Whose view a repository listing takes: the account's, unless an OAuth
   * token without repo:read stands for it (then only public ones show).
   */
  listingViewer(principal: Principal): { viewerId: number | null; superuser: boolean } {
    if (principal.kind === 'anonymous' || !hasScope(principal, 'repo:read')) {
      return { viewerId: null, superuser: false };
    }
    return {
      viewerId: principal.account.id,
      superuser: isSuperuser(principal) && this.options.superusersFullAccess,
    };
  }

  /** What the principal may do to the repository as it stands. */
  async actionsOn(
    principal: Principal,
    repository: RepositoryInfo,
  ): Promise<Set<RepositoryAction>> {
    return (await this.accessOn(principal, repository)).actions;
  }

  /** The principal's role and what it may do, from one look at the grants. */
  async accessOn(
    principal: Principal,
    repository: RepositoryInfo,
  ): Promise<{ role: RepositoryRole | null; actions: Set<RepositoryAction> }> {
    const role = await this.roleOn(principal, repository);
    const actions = actionsOfRole(
      repository.visibility === 'public' ? higherRole(role, 'read') : role,
    );
    const isMirrorRobot =
      principal.kind === 'robot' && principal.account.id === repository.mirrorRobotId;
    if (repository.state === 'READ_ONLY' || (repository.state === 'MIRROR' && !isMirrorRobot)) {
      actions.delete('push');
      actions.delete('delete');
    }
    return { role, actions };
  }

  /** What the principal may do to `name`, whether or not the repository exists yet. */
  async actionsOnName(
    principal: Principal,
    name: string,
  ): Promise<{ actions: Set<RepositoryAction>; repository: RepositoryInfo | null }> {
    const repository = await this.store.findRepository(name);
    return { actions: await this.actionsOnFound(principal, name, repository), repository };
  }

  /** As `actionsOnName`, with the repository of that name as just read (null: there is none). */
  async actionsOnFound(
    principal: Principal,
    name: string,
    repository: RepositoryInfo | null,
  ): Promise<Set<RepositoryAction>> {
    if (repository) return this.actionsOn(principal, repository);
    const namespace = await this.namespaceFor(name);
    const creatable = namespace !== null && (await this.canCreateIn(principal, namespace));
    return new Set(creatable ? ['pull', 'push'] : []);
  }

  async namespaceFor(name: string): Promise<AccountRecord | null> {
    const namespaceName = namespaceOf(name);
    if (namespaceName === null) return null;
    const namespace = await this.store.findAccount(namespaceName);
    return namespace && namespace.kind !== 'robot' ? namespace : null;
  }

  async canCreateIn(principal: Principal, namespace: AccountRecord): Promise<boolean> {
    if (principal.kind === 'anonymous' || !hasScope(principal, 'repo:create')) return false;
    if (isSuperuser(principal) && this.options.superusersFullAccess) return true;
    if (principal.kind === 'user' && namespace.id === principal.account.id) return true;
    if (namespace.kind !== 'organization') return false;
    const teams = await this.store.teamsOf(namespace.id, principal.account.id);
    return teams.some((t) => t.role === 'creator' || t.role === 'admin');
  }

  /** Organization administration: admin team members, and superusers. */
  async isOrganizationAdmin(principal: Principal, organization: AccountRecord): Promise<boolean> {
    if (principal.kind === 'anonymous') return false;
    if (isSuperuser(principal)) return true;
    // A user's own namespace is theirs to manage (their robots), with user:admin.
    if (principal.kind === 'user' && principal.account.id === organization.id) {
      return hasScope(principal, 'user:admin');
    }
    if (!hasScope(principal, 'org:admin')) return false;
    if (organization.kind !== 'organization') return false;
    const teams = await this.store.teamsOf(organization.id, principal.account.id);
    return principal.kind === 'user' && teams.some((t) => t.role === 'admin');
  }
}

/** Why a caller who can read a repository may not write to it, in the repository's terms. */
export function writeRefusal(state: RepositoryInfo['state'] | undefined, name?: string): string {
  if (state === 'READ_ONLY') return 'the repository is read-only';
  if (state === 'MIRROR')
    return 'the repository is a mirror; only its mirror robot may write to it';
  return name ? `you cannot write to ${name}` : 'you do not have write access to this repository';
}
