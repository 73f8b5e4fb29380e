import { createHash } from 'node:crypto';
import type {
  AccountRecord,
  AppTokenRecord,
  RepositoryInfo,
  RepositoryRole,
  TeamRecord,
} from '../../ports/identity-store.js';

/** Quay-style timestamps (RFC 2822, UTC). */
export const quayDate = (ms: number) => new Date(ms).toUTCString();
export const quayDateOrNull = (ms: number | null) => (ms === null ? null : quayDate(ms));

/** Quay's avatar object: a hash and a colour clients draw initials with. */
export function avatar(name: string, kind: string) {
  const hash = createHash('md5').update(name).digest('hex');
  return { name, hash, color: `#${hash.slice(0, 6)}`, kind };
}

export function teamView(team: TeamRecord, canView: boolean) {
  return {
    name: team.name,
    description: team.description,
    role: team.role,
    avatar: avatar(team.name, 'team'),
    can_view: canView,
    repo_count: team.repositoryCount,
    member_count: team.memberCount,
    is_synced: false,
  };
}

export function memberView(account: AccountRecord) {
  return {
    name: account.name,
    kind: 'user' as const,
    is_robot: account.kind === 'robot',
    avatar: avatar(account.name, account.kind === 'robot' ? 'robot' : 'user'),
    invited: false,
  };
}

export function robotView(robot: AccountRecord, token?: string) {
  return {
    name: robot.name,
    description: robot.description,
    created: quayDate(robot.createdAtMs),
    last_accessed: quayDateOrNull(robot.lastAccessedMs),
    ...(token === undefined ? {} : { token }),
    unstructured_metadata: {},
  };
}

export function repositorySummary(repository: RepositoryInfo) {
  const slash = repository.name.indexOf('/');
  return {
    namespace: repository.name.slice(0, slash),
    name: repository.name.slice(slash + 1),
    kind: 'image' as const,
    description: repository.description,
    is_public: repository.visibility === 'public',
    state: repository.state,
    ...(repository.lastModifiedMs === undefined
      ? {}
      : {
          last_modified:
            repository.lastModifiedMs === null
              ? null
              : Math.floor(repository.lastModifiedMs / 1000),
        }),
  };
}

export function appTokenView(token: AppTokenRecord, code?: string) {
  return {
    uuid: token.id,
    title: token.title,
    last_accessed: quayDateOrNull(token.lastAccessedMs),
    created: quayDate(token.createdAtMs),
    expiration: quayDateOrNull(token.expiresAtMs),
    ...(code === undefined ? {} : { token_code: code }),
  };
}

/** Roles on repositories of `namespace`, named within it, as Quay lists a team's or robot's. */
export const namespacePermissionsView = (
  namespace: string,
  permissions: { repository: RepositoryInfo; role: RepositoryRole }[],
) => ({
  permissions: permissions.map(({ repository, role }) => ({
    repository: {
      name: repository.name.slice(namespace.length + 1),
      is_public: repository.visibility === 'public',
    },
    role,
  })),
});
