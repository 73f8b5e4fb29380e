import type { Kysely } from 'kysely';

/**
 * Web console sessions (`POST /api/v1/signin`). Kept in the database, not in
 * a signed cookie, so that every server and Lambda instance sees the same
 * session and signing out ends it everywhere at once. Only the hash of the
 * cookie's value is kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('console_session')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('console_session_account_idx')
    .on('console_session')
    .column('account_id')
    .execute();
  await db.schema
    .createIndex('console_session_expiry_idx')
    .on('console_session')
    .column('expires_at_ms')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('console_session').execute();
}
