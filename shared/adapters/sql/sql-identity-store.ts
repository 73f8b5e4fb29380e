import type { Kysely } from 'kysely';
import type { IdentityStore } from '../../ports/identity-store.js';
import { SqlAccounts } from './identity/accounts.js';
import { SqlAudit } from './identity/audit.js';
import { SqlLoginThrottle } from './identity/login-throttle.js';
import { SqlRepositoryAccess } from './identity/repositories.js';
import { SqlSessions } from './identity/sessions.js';
import { SqlTeams } from './identity/teams.js';
import type { Database } from './schema.js';

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (
  i: infer I,
) => void
  ? I
  : never;

/** One object with every method of the parts, each bound to its own part. */
function combine<T extends object[]>(...parts: T): UnionToIntersection<T[number]> {
  const combined: Record<string, unknown> = {};
  for (const part of parts) {
    for (const key of Object.getOwnPropertyNames(Object.getPrototypeOf(part))) {
      const member = (part as Record<string, unknown>)[key];
      if (key !== 'constructor' && typeof member === 'function') {
        combined[key] = member.bind(part);
      }
    }
  }
  return combined as UnionToIntersection<T[number]>;
}

/**
 * The identity store over any Postgres that Kysely reaches (PGlite,
 * node-postgres, Data API), assembled from one module per concern:
 * accounts, the login throttle, console sessions, teams, repositories and permissions, the
 * audit log.
 */
export function createSqlIdentityStore(db: Kysely<Database>): IdentityStore {
  const teams = new SqlTeams(db);
  return combine(
    new SqlAccounts(db),
    new SqlLoginThrottle(db),
    new SqlSessions(db),
    teams,
    new SqlRepositoryAccess(db, teams),
    new SqlAudit(db),
  );
}
