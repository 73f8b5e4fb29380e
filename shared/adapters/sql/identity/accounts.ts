import type { Kysely } from 'kysely';
import {
  AccountExistsError,
  type AccountChanges,
  type AccountKind,
  type AccountRecord,
  type AppTokenRecord,
  type LoginSecrets,
  type NewAccount,
} from '../../../ports/identity-store.js';
import type { Database } from '../schema.js';
import { ACCOUNT_COLUMNS, isUniqueViolation, toAccount, toAppToken } from './rows.js';

/** Users, organizations and robots, their logins, and app-specific tokens. */
export class SqlAccounts {
  constructor(private readonly db: Kysely<Database>) {}

  async createAccount(a: NewAccount): Promise<AccountRecord> {
    const row = await this.db
      .insertInto('account')
      .values({
        name: a.name,
        kind: a.kind,
        email: a.email ?? null,
        password_hash: a.passwordHash ?? null,
        token_hash: a.tokenHash ?? null,
        robot_owner_id: a.robotOwnerId ?? null,
        description: a.description ?? '',
        created_at_ms: a.nowMs,
        last_accessed_ms: null,
      })
      .onConflict((oc) => oc.doNothing())
      .returning(ACCOUNT_COLUMNS)
      .executeTakeFirst();
    if (!row) throw new AccountExistsError(a.name);
    return toAccount(row);
  }

  async findAccount(name: string): Promise<AccountRecord | null> {
    const row = await this.db
      .selectFrom('account')
      .select(ACCOUNT_COLUMNS)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  async accountsByPrefix(
    prefix: string,
    options: { robotOwnerId?: number; limit: number },
  ): Promise<AccountRecord[]> {
    const like = (text: string) => `${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    const rows = await this.db
      .selectFrom('account')
      .select(ACCOUNT_COLUMNS)
      .where((eb) => {
        const users = eb.and([eb('kind', '=', 'user'), eb('name', 'ilike', like(prefix))]);
        if (options.robotOwnerId === undefined) return users;
        return eb.or([
          users,
          eb.and([
            eb('kind', '=', 'robot'),
            eb('robot_owner_id', '=', options.robotOwnerId),
            eb('name', 'ilike', `%+${like(prefix)}`),
          ]),
        ]);
      })
      .orderBy('name')
      .limit(options.limit)
      .execute();
    return rows.map(toAccount);
  }

  async findAccountById(id: number): Promise<AccountRecord | null> {
    const row = await this.db
      .selectFrom('account')
      .select(ACCOUNT_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  async countAccounts(kind: AccountKind): Promise<number> {
    const row = await this.db
      .selectFrom('account')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async listAccounts(kind: AccountKind, after: string | undefined, limit: number) {
    let query = this.db
      .selectFrom('account')
      .select(ACCOUNT_COLUMNS)
      .where('kind', '=', kind)
      .orderBy('name')
      .limit(limit);
    if (after !== undefined) query = query.where('name', '>', after);
    return (await query.execute()).map(toAccount);
  }

  async updateAccount(id: number, changes: AccountChanges): Promise<void> {
    const set: Partial<Record<string, unknown>> = {};
    if (changes.email !== undefined) set.email = changes.email;
    if (changes.tagExpirationS !== undefined) set.tag_expiration_s = changes.tagExpirationS;
    if (changes.description !== undefined) set.description = changes.description;
    if (changes.passwordHash !== undefined) set.password_hash = changes.passwordHash;
    if (changes.tokenHash !== undefined) set.token_hash = changes.tokenHash;
    if (Object.keys(set).length === 0) return;
    try {
      await this.db.updateTable('account').set(set).where('id', '=', id).execute();
    } catch (error) {
      // Only the e-mail can collide: names never change.
      if (isUniqueViolation(error)) throw new AccountExistsError(String(changes.email));
      throw error;
    }
  }

  async deleteAccount(id: number): Promise<void> {
    // Robots go with their owner through the foreign key; their repositories too.
    await this.db.deleteFrom('account').where('id', '=', id).execute();
  }

  async loginSecrets(id: number): Promise<LoginSecrets> {
    const row = await this.db
      .selectFrom('account')
      .select(['password_hash', 'token_hash'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return { passwordHash: row.password_hash, tokenHash: row.token_hash };
  }

  async recordLogin(id: number, nowMs: number): Promise<void> {
    await this.db
      .updateTable('account')
      .set({ last_accessed_ms: nowMs })
      .where('id', '=', id)
      .execute();
  }

  async listRobots(ownerId: number): Promise<AccountRecord[]> {
    const rows = await this.db
      .selectFrom('account')
      .select(ACCOUNT_COLUMNS)
      .where('robot_owner_id', '=', ownerId)
      .orderBy('name')
      .execute();
    return rows.map(toAccount);
  }

  async createAppToken(t: AppTokenRecord & { tokenHash: string }): Promise<void> {
    await this.db
      .insertInto('app_token')
      .values({
        id: t.id,
        account_id: t.accountId,
        title: t.title,
        token_hash: t.tokenHash,
        created_at_ms: t.createdAtMs,
        expires_at_ms: t.expiresAtMs,
        last_accessed_ms: t.lastAccessedMs,
      })
      .execute();
  }

  async findAppTokenByHash(tokenHash: string): Promise<AppTokenRecord | null> {
    const row = await this.db
      .selectFrom('app_token')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row ? toAppToken(row) : null;
  }

  async listAppTokens(accountId: number): Promise<AppTokenRecord[]> {
    const rows = await this.db
      .selectFrom('app_token')
      .select(['id', 'account_id', 'title', 'created_at_ms', 'expires_at_ms', 'last_accessed_ms'])
      .where('account_id', '=', accountId)
      .orderBy('created_at_ms')
      .execute();
    return rows.map(toAppToken);
  }

  async deleteAppToken(accountId: number, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('app_token')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async touchAppToken(id: string, nowMs: number): Promise<void> {
    await this.db
      .updateTable('app_token')
      .set({ last_accessed_ms: nowMs })
      .where('id', '=', id)
      .execute();
  }
}
