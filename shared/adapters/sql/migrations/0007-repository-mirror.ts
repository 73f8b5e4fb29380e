import { sql, type Kysely } from 'kysely';

/**
 * Repository mirroring and the job queue that carries its work.
 *
 * `repo_mirror` holds one repository's mirror configuration and the state of
 * its sync. A worker owns a sync while `sync_token` is its token and
 * `sync_expiration_ms` lies ahead; the lease lapses if the worker dies.
 * Upstream credentials are sealed with a key that is not in the database.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('repo_mirror')
    .addColumn('repository_id', 'bigint', (c) =>
      c.primaryKey().references('repository.id').onDelete('cascade'),
    )
    .addColumn('is_enabled', 'boolean', (c) => c.notNull())
    .addColumn('external_reference', 'text', (c) => c.notNull())
    .addColumn('username_sealed', 'text')
    .addColumn('password_sealed', 'text')
    .addColumn('verify_tls', 'boolean', (c) => c.notNull())
    .addColumn('proxy', 'jsonb')
    .addColumn('rule_globs', 'jsonb', (c) => c.notNull())
    .addColumn('robot_id', 'bigint', (c) => c.references('account.id').onDelete('set null'))
    .addColumn('sync_interval_s', 'integer', (c) => c.notNull())
    .addColumn('sync_start_ms', 'bigint', (c) => c.notNull())
    .addColumn('sync_expiration_ms', 'bigint')
    .addColumn('sync_retries_remaining', 'integer', (c) => c.notNull())
    .addColumn('sync_status', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`sync_status in ('NEVER_RUN', 'SYNC_NOW', 'SYNCING', 'SUCCESS', 'FAIL', 'CANCEL')`,
        ),
    )
    .addColumn('sync_token', 'text')
    .addColumn('sync_run', 'jsonb')
    .addColumn('queued_at_ms', 'bigint')
    .addColumn('last_sync_ms', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  // The scheduler looks for enabled mirrors whose time has come.
  await db.schema
    .createIndex('repo_mirror_due')
    .on('repo_mirror')
    .column('sync_start_ms')
    .where(sql.ref('is_enabled'), '=', true)
    .execute();

  await db.schema
    .createTable('job')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('body', 'jsonb', (c) => c.notNull())
    .addColumn('visible_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('receive_count', 'integer', (c) => c.notNull())
    .addColumn('receipt', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('job_visible')
    .on('job')
    .columns(['queue', 'visible_at_ms'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('job').ifExists().execute();
  await db.schema.dropTable('repo_mirror').ifExists().execute();
}
