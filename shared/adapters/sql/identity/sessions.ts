import type { Kysely } from 'kysely';
import type { ConsoleSessionRecord } from '../../../ports/identity-store.js';
import type { Database } from '../schema.js';

/** How many lapsed sessions one sign-in clears away, so they cannot pile up. */
const SWEEP_ROWS = 20;

/** Web console sessions, by the hash of their cookie. */
export class SqlSessions {
  constructor(private readonly db: Kysely<Database>) {}

  async createSession(s: ConsoleSessionRecord & { tokenHash: string }): Promise<void> {
    await this.db
      .insertInto('console_session')
      .values({
        token_hash: s.tokenHash,
        account_id: s.accountId,
        csrf_token: s.csrfToken,
        created_at_ms: s.createdAtMs,
        expires_at_ms: s.expiresAtMs,
      })
      .execute();
    await this.db
      .deleteFrom('console_session')
      .where(
        'token_hash',
        'in',
        this.db
          .selectFrom('console_session')
          .select('token_hash')
          .where('expires_at_ms', '<=', s.createdAtMs)
          .limit(SWEEP_ROWS),
      )
      .execute();
  }

  async findSession(tokenHash: string): Promise<ConsoleSessionRecord | null> {
    const row = await this.db
      .selectFrom('console_session')
      .select(['account_id', 'csrf_token', 'created_at_ms', 'expires_at_ms'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row
      ? {
          accountId: Number(row.account_id),
          csrfToken: row.csrf_token,
          createdAtMs: Number(row.created_at_ms),
          expiresAtMs: Number(row.expires_at_ms),
        }
      : null;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('console_session').where('token_hash', '=', tokenHash).execute();
  }

  async deleteSessionsOf(accountId: number, keep?: string): Promise<void> {
    let query = this.db.deleteFrom('console_session').where('account_id', '=', accountId);
    if (keep !== undefined) query = query.where('token_hash', '<>', keep);
    await query.execute();
  }
}
