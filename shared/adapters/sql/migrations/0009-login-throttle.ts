import type { Kysely } from 'kysely';

/**
 * Password guesses counted per login name and source address, in windows:
 * guessing from one address cannot lock the account out for another, and a
 * name that does not exist is counted like one that does. The per-account
 * counters this replaces go.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('login_throttle')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('pending', 'integer', (c) => c.notNull())
    .addColumn('window_start_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_throttle_pkey', ['name', 'source'])
    .execute();
  await db.schema
    .createIndex('login_throttle_window_idx')
    .on('login_throttle')
    .column('window_start_ms')
    .execute();
  await db.schema
    .alterTable('account')
    .dropColumn('invalid_login_attempts')
    .dropColumn('last_invalid_login_ms')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('account')
    .addColumn('invalid_login_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_invalid_login_ms', 'bigint')
    .execute();
  await db.schema.dropTable('login_throttle').execute();
}
