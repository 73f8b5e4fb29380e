import type { Kysely } from 'kysely';

/**
 * Geo-replication's record of work: one row per blob and location it must
 * still reach, written in the transaction that places the blob first (so
 * a process that dies right after loses nothing), gone once the copy is
 * checked and placed, or marked failed with its reason. Per location, the
 * bytes copied so far, and how far a backfill of older blobs has come.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('blob_replication')
    .addColumn('digest', 'text', (c) => c.notNull().references('blob.digest').onDelete('cascade'))
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
    .addColumn('claim_token', 'text')
    .addColumn('claimed_until_ms', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_replication_pkey', ['digest', 'location'])
    .execute();
  await db.schema
    .createIndex('blob_replication_due_idx')
    .on('blob_replication')
    .columns(['state', 'next_attempt_ms'])
    .execute();
  await db.schema
    .createTable('replication_location')
    .addColumn('location', 'text', (c) => c.primaryKey())
    .addColumn('bytes_copied', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('copies', 'bigint', (c) => c.notNull().defaultTo(0))
    /** The backfill's cursor: blobs up to this digest have been queued; null when none ran. */
    .addColumn('backfill_after', 'text')
    .addColumn('backfill_done', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('backfill_queued', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('replication_location').execute();
  await db.schema.dropTable('blob_replication').execute();
}
