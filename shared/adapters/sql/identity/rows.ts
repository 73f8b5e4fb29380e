/** Row mapping and helpers the SQL identity queries share. */
import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type {
  AccountRecord,
  AppTokenRecord,
  Delegate,
  RepositoryInfo,
  RepositoryRole,
  TeamRole,
} from '../../../ports/identity-store.js';
import type { AccountTable, AppTokenTable, Database, RepositoryTable } from '../schema.js';

export const ACCOUNT_COLUMNS = [
  'account.id',
  'account.name',
  'account.kind',
  'account.email',
  'account.description',
  'account.robot_owner_id',
  'account.created_at_ms',
  'account.last_accessed_ms',
  'account.tag_expiration_s',
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
  | 'tag_expiration_s'
>;

export const toAccount = (r: AccountRow): AccountRecord => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  email: r.email,
  description: r.description,
  robotOwnerId: r.robot_owner_id,
  createdAtMs: r.created_at_ms,
  lastAccessedMs: r.last_accessed_ms,
  tagExpirationS: r.tag_expiration_s === null ? null : Number(r.tag_expiration_s),
});

export const REPOSITORY_COLUMNS = [
  'repository.id',
  'repository.name',
  'repository.namespace_id',
  'repository.visibility',
  'repository.state',
  'repository.description',
  'repository.mirror_robot_id',
  'repository.created_at_ms',
] as const;

export const toRepository = (r: Selectable<RepositoryTable>): RepositoryInfo => ({
  id: r.id,
  name: r.name,
  namespaceId: r.namespace_id,
  visibility: r.visibility,
  state: r.state,
  description: r.description,
  mirrorRobotId: r.mirror_robot_id,
  createdAtMs: r.created_at_ms,
});

export const toAppToken = (r: Omit<Selectable<AppTokenTable>, 'token_hash'>): AppTokenRecord => ({
  id: r.id,
  accountId: r.account_id,
  title: r.title,
  createdAtMs: r.created_at_ms,
  expiresAtMs: r.expires_at_ms,
  lastAccessedMs: r.last_accessed_ms,
});

export const delegateColumns = (d: Delegate) =>
  'accountId' in d
    ? { account_id: d.accountId, team_id: null }
    : { account_id: null, team_id: d.teamId };

/** Teams the account is on. */
export const teamIdsOf = (db: Kysely<Database>, accountId: number) =>
  db.selectFrom('team_member').select('team_member.team_id').where('account_id', '=', accountId);

export const REPOSITORY_ROLES: RepositoryRole[] = ['read', 'write', 'admin'];
export const TEAM_ROLES: TeamRole[] = ['member', 'creator', 'admin'];
export const repositoryRank = (r: RepositoryRole) => REPOSITORY_ROLES.indexOf(r);
export const teamRank = (r: TeamRole) => TEAM_ROLES.indexOf(r);

export function highest<T>(values: T[], rank: (v: T) => number): T | null {
  let best: T | null = null;
  for (const v of values) if (best === null || rank(v) > rank(best)) best = v;
  return best;
}

export function isUniqueViolation(error: unknown): boolean {
  const text = String((error as { code?: unknown })?.code ?? '') + String(error);
  return text.includes('23505') || /duplicate key/i.test(text);
}

export function isForeignKeyViolation(error: unknown): boolean {
  const text = `${(error as { code?: string }).code ?? ''} ${String(error)}`;
  return text.includes('23503') || /foreign key constraint/i.test(text);
}

/** A JSON value for a `jsonb` column, typed as JSON whichever driver sends it. */
export const asJson = <T = Record<string, unknown>>(value: T): RawBuilder<T> =>
  sql<T>`${JSON.stringify(value)}::jsonb`;
