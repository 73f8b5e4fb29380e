/**
 * Who exists and who may do what: accounts, teams, repository permissions,
 * tokens and the audit log. The SQL adapter runs on every Postgres we use.
 */

export type AccountKind = 'user' | 'organization' | 'robot';
export type RepositoryRole = 'read' | 'write' | 'admin';
export type TeamRole = 'member' | 'creator' | 'admin';
export type Visibility = 'public' | 'private';
export type RepositoryState = 'NORMAL' | 'READ_ONLY' | 'MIRROR';

export interface AccountRecord {
  id: number;
  name: string;
  kind: AccountKind;
  email: string | null;
  description: string;
  /** Robots: the user or organization that owns them. */
  robotOwnerId: number | null;
  createdAtMs: number;
  lastAccessedMs: number | null;
  /** How long the namespace's deleted and moved tags stay restorable; null: the registry's default. */
  tagExpirationS: number | null;
}

export interface NewAccount {
  name: string;
  kind: AccountKind;
  email?: string | null;
  passwordHash?: string | null;
  tokenHash?: string | null;
  robotOwnerId?: number | null;
  description?: string;
  nowMs: number;
}

export interface AccountChanges {
  email?: string | null;
  tagExpirationS?: number | null;
  description?: string;
  passwordHash?: string;
  tokenHash?: string;
}

/** What a login check needs; never leaves the core. */
export interface LoginSecrets {
  passwordHash: string | null;
  tokenHash: string | null;
}

/** Whose guesses a login counts against: the name as given and where it came from. */
export interface LoginAttemptKey {
  name: string;
  /** The client's address; '' when the registry cannot tell. */
  source: string;
}

/**
 * Refused with `busy`: other guesses are being checked and would reach the
 * limit if all were wrong; the caller may wait for them and ask again.
 */
export type LoginReservation =
  { allowed: true } | { allowed: false; busy: boolean; retryAfterMs: number };

export interface TeamRecord {
  id: number;
  organizationId: number;
  name: string;
  role: TeamRole;
  description: string;
  memberCount: number;
  repositoryCount: number;
}

export interface RepositoryInfo {
  id: number;
  /** The full name, `namespace/...`. */
  name: string;
  namespaceId: number | null;
  visibility: Visibility;
  state: RepositoryState;
  description: string;
  mirrorRobotId: number | null;
  createdAtMs: number;
  /** When a tag of it last changed (listings only); null when it never had one. */
  lastModifiedMs?: number | null;
}

export interface NewRepository {
  name: string;
  namespaceId: number;
  visibility: Visibility;
  description: string;
  creatorGrant: { accountId: number; role: RepositoryRole } | null;
  nowMs: number;
}

export interface RepositoryChanges {
  visibility?: Visibility;
  state?: RepositoryState;
  description?: string;
  mirrorRobotId?: number | null;
}

export type Delegate = { accountId: number } | { teamId: number };

export interface PermissionEntry {
  role: RepositoryRole;
  /** The account or team's name. */
  name: string;
  kind: 'user' | 'robot' | 'team';
}

export interface DefaultPermissionEntry extends PermissionEntry {
  id: string;
}

/** The facts an access decision about one account and one repository needs. */
export interface AccessFacts {
  /** Highest role granted directly or through a team on the repository. */
  grantedRole: RepositoryRole | null;
  /** Highest role among the account's teams in the repository's organization. */
  teamRole: TeamRole | null;
}

export interface AppTokenRecord {
  id: string;
  accountId: number;
  title: string;
  createdAtMs: number;
  expiresAtMs: number | null;
  lastAccessedMs: number | null;
}

/** A signed-in web console session; the cookie's value is known only by its hash. */
export interface ConsoleSessionRecord {
  accountId: number;
  /** What the session's writes must send in `X-CSRF-Token`. */
  csrfToken: string;
  createdAtMs: number;
  expiresAtMs: number;
}

export interface AuditEntry {
  kind: string;
  performer: { id: number; name: string } | null;
  namespace: { id: number; name: string } | null;
  repository: { id: number; name: string } | null;
  ip: string | null;
  metadata: Record<string, unknown>;
  createdAtMs: number;
}

export interface RepositoryAuditEntry extends Omit<AuditEntry, 'namespace' | 'repository'> {
  repositoryName: string;
}

export interface AuditQuery {
  repositoryId?: number;
  namespaceId?: number;
  performerId?: number;
  fromMs: number;
  toMs: number;
  /** Only entries older than this id (the previous page's last). */
  beforeId?: number;
  limit: number;
}

export interface RepositoryQuery {
  /** Whose view: null for anonymous. Superusers see everything. */
  viewerId: number | null;
  superuser: boolean;
  namespaceId?: number;
  publicOnly?: boolean;
  after?: string;
  /** Only repositories whose name or description holds this text, in any case. */
  contains?: string;
  offset?: number;
  limit: number;
}

export class AccountExistsError extends Error {
  constructor(readonly accountName: string) {
    super(`an account named ${accountName} (or with that e-mail) already exists`);
    this.name = 'AccountExistsError';
  }
}

export interface IdentityStore {
  createAccount(account: NewAccount): Promise<AccountRecord>;
  findAccount(name: string): Promise<AccountRecord | null>;
  findAccountById(id: number): Promise<AccountRecord | null>;
  /** `findAccountById` and `findRepository` in one read. */
  findAccountAndRepository(
    accountId: number,
    repositoryName: string,
  ): Promise<{ account: AccountRecord | null; repository: RepositoryInfo | null }>;
  countAccounts(kind: AccountKind): Promise<number>;
  listAccounts(
    kind: AccountKind,
    after: string | undefined,
    limit: number,
  ): Promise<AccountRecord[]>;
  updateAccount(id: number, changes: AccountChanges): Promise<void>;
  deleteAccount(id: number): Promise<void>;
  loginSecrets(id: number): Promise<LoginSecrets>;
  /** A successful login: when the account was last used. */
  recordLogin(id: number, nowMs: number): Promise<void>;
  /**
   * Lets one guess for `key` be checked, atomically: only while the window's
   * wrong guesses and those being checked stay under `limit`, however many
   * arrive at once. Refused guesses are not counted and do not extend the
   * window of `windowMs`.
   */
  reserveLoginAttempt(
    key: LoginAttemptKey,
    limit: number,
    windowMs: number,
    nowMs: number,
  ): Promise<LoginReservation>;
  /** A reserved guess was checked: wrong ones count against the window. */
  settleLoginAttempt(
    key: LoginAttemptKey,
    outcome: 'right' | 'wrong',
    windowMs: number,
    nowMs: number,
  ): Promise<void>;
  listRobots(ownerId: number): Promise<AccountRecord[]>;
  /**
   * Users whose name starts with `prefix` and, with `robotOwnerId`, that
   * owner's robots whose short name does, by name (permission pickers).
   */
  accountsByPrefix(
    prefix: string,
    options: { robotOwnerId?: number; limit: number },
  ): Promise<AccountRecord[]>;

  upsertTeam(
    organizationId: number,
    name: string,
    role: TeamRole,
    description: string,
  ): Promise<TeamRecord>;
  findTeam(organizationId: number, name: string): Promise<TeamRecord | null>;
  listTeams(organizationId: number): Promise<TeamRecord[]>;
  deleteTeam(teamId: number): Promise<void>;
  addTeamMember(teamId: number, accountId: number): Promise<void>;
  removeTeamMember(teamId: number, accountId: number): Promise<boolean>;
  listTeamMembers(teamId: number): Promise<AccountRecord[]>;
  /** Teams of `accountId` in the organization. */
  teamsOf(organizationId: number, accountId: number): Promise<TeamRecord[]>;
  /** Organizations in which the account is on a team, with the highest team role there. */
  organizationsOf(accountId: number): Promise<{ organization: AccountRecord; role: TeamRole }[]>;

  findRepository(name: string): Promise<RepositoryInfo | null>;
  /**
   * Creates the repository with the organization's default permissions and,
   * if given, a grant for its creator, in one transaction. An existing
   * repository of that name is returned unchanged.
   */
  createRepository(repository: NewRepository): Promise<RepositoryInfo>;
  updateRepository(id: number, changes: RepositoryChanges): Promise<void>;
  deleteRepository(id: number): Promise<void>;
  listRepositories(query: RepositoryQuery): Promise<RepositoryInfo[]>;

  accessFacts(repository: RepositoryInfo, accountId: number): Promise<AccessFacts>;
  listPermissions(repositoryId: number, kind: 'account' | 'team'): Promise<PermissionEntry[]>;
  /** Stars a repository for the account (again is a no-op), or takes the star away. */
  setStar(accountId: number, repositoryId: number, starred: boolean, nowMs: number): Promise<void>;
  isStarred(accountId: number, repositoryId: number): Promise<boolean>;
  /** The account's starred repositories by name, after `after`. */
  starredRepositories(
    accountId: number,
    after: string | undefined,
    limit: number,
  ): Promise<RepositoryInfo[]>;
  /** The repositories a team holds a role on, by name. */
  teamPermissions(teamId: number): Promise<{ repository: RepositoryInfo; role: RepositoryRole }[]>;
  /** The repositories an account (a robot, say) has a role on of its own, not through teams. */
  accountPermissions(
    accountId: number,
  ): Promise<{ repository: RepositoryInfo; role: RepositoryRole }[]>;
  setPermission(repositoryId: number, delegate: Delegate, role: RepositoryRole): Promise<void>;
  deletePermission(repositoryId: number, delegate: Delegate): Promise<boolean>;

  listDefaultPermissions(organizationId: number): Promise<DefaultPermissionEntry[]>;
  createDefaultPermission(
    id: string,
    organizationId: number,
    delegate: Delegate,
    role: RepositoryRole,
  ): Promise<void>;
  deleteDefaultPermission(organizationId: number, id: string): Promise<boolean>;

  createAppToken(token: AppTokenRecord & { tokenHash: string }): Promise<void>;
  findAppTokenByHash(tokenHash: string): Promise<AppTokenRecord | null>;
  listAppTokens(accountId: number): Promise<AppTokenRecord[]>;
  deleteAppToken(accountId: number, id: string): Promise<boolean>;
  touchAppToken(id: string, nowMs: number): Promise<void>;

  /** Also clears away a few sessions that lapsed before this one began. */
  createSession(session: ConsoleSessionRecord & { tokenHash: string }): Promise<void>;
  findSession(tokenHash: string): Promise<ConsoleSessionRecord | null>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Ends every session of an account but `keep` (a hash): its password changed. */
  deleteSessionsOf(accountId: number, keep?: string): Promise<void>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /**
   * Appends entries about repositories known by name, filling in their and
   * their namespaces' ids, in one statement.
   */
  appendAuditForRepositories(entries: RepositoryAuditEntry[]): Promise<void>;
  listAudit(query: AuditQuery): Promise<(AuditEntry & { id: number })[]>;
}
