import { isRepositoryName } from '../oci/grammar.js';
import type { RepositoryAction } from './roles.js';

/** One entry of a Docker token's `access` claim. */
export interface AccessGrant {
  type: 'repository' | 'registry';
  name: string;
  actions: string[];
}

const ACTIONS = new Set<string>(['pull', 'push', 'delete', '*']);

/**
 * Parses `scope` parameters of `/v2/auth` (`repository:<name>:pull,push`,
 * `registry:catalog:*`). Malformed scopes and unknown actions are dropped:
 * the token then simply grants nothing for them.
 */
export function parseScopes(scopes: string[]): AccessGrant[] {
  const grants: AccessGrant[] = [];
  for (const scope of scopes.flatMap((s) => s.split(' '))) {
    const parts = scope.split(':');
    if (parts.length !== 3) continue;
    const [rawType, name, actionList] = parts as [string, string, string];
    // A resource class such as `repository(plugin)` is accepted and ignored.
    const type = rawType.replace(/\(.*\)$/, '');
    const actions = [...new Set(actionList.split(','))].filter((a) => ACTIONS.has(a));
    if (type === 'repository' && isRepositoryName(name)) {
      grants.push({ type, name, actions });
    } else if (type === 'registry' && name === 'catalog') {
      grants.push({ type, name, actions: actions.filter((a) => a === '*') });
    }
  }
  return grants;
}

/** Keeps only what was both asked for and is allowed. */
export function intersect(asked: string[], allowed: Set<RepositoryAction>): string[] {
  if (allowed.has('*')) return asked;
  return asked.filter((a) => allowed.has(a as RepositoryAction));
}

export const scopeString = (name: string, actions: string[]) =>
  `repository:${name}:${actions.join(',')}`;

export const CATALOG_SCOPE = 'registry:catalog:*';
