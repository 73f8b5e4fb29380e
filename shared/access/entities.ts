import type { AccountRecord, TeamRecord } from '../ports/identity-store.js';
import type { AccessServices } from './access-services.js';
import type { Principal } from './principal.js';
import { requireUser } from './users.js';

const MAX_USERS = 10;

export interface EntityMatches {
  teams: TeamRecord[];
  /** Users and the namespace's robots, each with whether it belongs to the organization asked about. */
  accounts: { account: AccountRecord; isOrgMember: boolean | null }[];
  /** The organization itself, for its admins when asked. */
  organization: AccountRecord | null;
}

/**
 * Quay's entity search for permission pickers: users by name prefix, and in
 * a namespace the caller belongs to, its robots (and, asked, its teams and
 * itself). Signed-in callers only, so names cannot be listed anonymously.
 */
export async function searchEntities(
  s: AccessServices,
  actor: Principal,
  rawPrefix: string,
  options: { namespace: string; includeTeams: boolean; includeOrgs: boolean },
): Promise<EntityMatches> {
  const user = requireUser(actor);
  const prefix = rawPrefix.replace(/\s/g, '').toLowerCase();
  const { store } = s.deps;
  const namespace = options.namespace ? await store.findAccount(options.namespace) : null;
  let organization: AccountRecord | null = null;
  let robotOwnerId: number | undefined;
  let teams: TeamRecord[] = [];
  let self: AccountRecord | null = null;
  if (namespace?.kind === 'organization') {
    organization = namespace;
    const memberOf = await store.teamsOf(namespace.id, user.account.id);
    if (memberOf.length > 0 || (await s.rules.isOrganizationAdmin(actor, namespace))) {
      robotOwnerId = namespace.id;
      if (options.includeTeams) {
        teams = (await store.listTeams(namespace.id)).filter((t) =>
          t.name.toLowerCase().startsWith(prefix),
        );
      }
      if (
        options.includeOrgs &&
        (await s.rules.isOrganizationAdmin(actor, namespace)) &&
        namespace.name.startsWith(prefix)
      ) {
        self = namespace;
      }
    }
  } else if (namespace && namespace.id === user.account.id) {
    robotOwnerId = namespace.id;
  }
  const found = await store.accountsByPrefix(prefix, {
    limit: MAX_USERS,
    ...(robotOwnerId === undefined ? {} : { robotOwnerId }),
  });
  const accounts = [];
  for (const account of found) {
    let isOrgMember: boolean | null = null;
    if (organization) {
      isOrgMember =
        account.kind === 'robot'
          ? account.robotOwnerId === organization.id
          : (await store.teamsOf(organization.id, account.id)).length > 0;
    }
    accounts.push({ account, isOrgMember });
  }
  return { teams, accounts, organization: self };
}
