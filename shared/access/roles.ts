import type { RepositoryRole, TeamRole } from '../ports/identity-store.js';
import { splitRepositoryName } from '../oci/grammar.js';

/** What a Docker token may grant on a repository. `*` is everything, as admins get. */
export type RepositoryAction = 'pull' | 'push' | 'delete' | '*';

export const REPOSITORY_ROLES: readonly RepositoryRole[] = ['read', 'write', 'admin'];
export const TEAM_ROLES: readonly TeamRole[] = ['member', 'creator', 'admin'];

export function actionsOfRole(role: RepositoryRole | null): Set<RepositoryAction> {
  switch (role) {
    case 'admin':
      return new Set(['pull', 'push', 'delete', '*']);
    case 'write':
      return new Set(['pull', 'push', 'delete']);
    case 'read':
      return new Set(['pull']);
    default:
      return new Set();
  }
}

export const higherRole = (a: RepositoryRole | null, b: RepositoryRole | null) =>
  a === null
    ? b
    : b === null
      ? a
      : REPOSITORY_ROLES.indexOf(a) >= REPOSITORY_ROLES.indexOf(b)
        ? a
        : b;

/** The namespace of a repository name: its first component. Null for a name without one. */
export function namespaceOf(repositoryName: string): string | null {
  return splitRepositoryName(repositoryName).namespace;
}
