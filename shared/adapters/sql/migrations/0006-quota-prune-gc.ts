import { sql, type Kysely } from 'kysely';

/**
 * Quotas, auto-prune and garbage collection.
 *
 * Sizes are kept per repository and per namespace, each counting every
 * digest (manifest or blob) once. Rows that exist when this migration runs
 * start with `backfilled = false`: the backfill worker recounts them, and
 * pushes leave them alone until it has. Namespaces and repositories created
 * later get their row, already counted, on their first push.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('quota_repository_size')
    .addColumn('repository_id', 'bigint', (c) =>
      c.primaryKey().references('repository.id').onDelete('cascade'),
    )
    .addColumn('size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('backfilled', 'boolean', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('quota_namespace_size')
    .addColumn('namespace_id', 'bigint', (c) =>
      c.primaryKey().references('account.id').onDelete('cascade'),
    )
    .addColumn('size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('backfilled', 'boolean', (c) => c.notNull())
    .execute();
  // The backfill worker finds what is left to count without scanning what is done.
  for (const [table, key] of [
    ['quota_repository_size', 'repository_id'],
    ['quota_namespace_size', 'namespace_id'],
  ] as const) {
    await db.schema
      .createIndex(`${table}_pending`)
      .on(table)
      .column(key)
      .where(sql.ref('backfilled'), '=', false)
      .execute();
  }
  await db.schema
    .createTable('quota_registry_size')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_ran_ms', 'bigint')
    .addColumn('queued', 'boolean', (c) => c.notNull())
    .addColumn('running', 'boolean', (c) => c.notNull())
    .execute();
  await sql`insert into quota_registry_size (id, size_bytes, queued, running) values (1, 0, true, false)`.execute(
    db,
  );
  await sql`
    insert into quota_repository_size (repository_id, size_bytes, backfilled)
    select id, 0, false from repository`.execute(db);
  await sql`
    insert into quota_namespace_size (namespace_id, size_bytes, backfilled)
    select distinct namespace_id, 0::bigint, false from repository where namespace_id is not null`.execute(
    db,
  );

  await db.schema
    .createTable('namespace_quota')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('namespace_id', 'bigint', (c) =>
      c.notNull().unique().references('account.id').onDelete('cascade'),
    )
    .addColumn('limit_bytes', 'bigint', (c) => c.notNull().check(sql`limit_bytes > 0`))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('quota_limit')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('quota_id', 'bigint', (c) =>
      c.notNull().references('namespace_quota.id').onDelete('cascade'),
    )
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('Warning', 'Reject')`))
    .addColumn('threshold_percent', 'integer', (c) =>
      c.notNull().check(sql`threshold_percent between 1 and 100`),
    )
    .addUniqueConstraint('quota_limit_kind_percent', ['quota_id', 'kind', 'threshold_percent'])
    .execute();

  // Events for the notification system to deliver (quota warnings for now).
  await db.schema
    .createTable('registry_event')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('namespace_id', 'bigint', (c) => c.references('account.id').onDelete('cascade'))
    .addColumn('repository_id', 'bigint', (c) => c.references('repository.id').onDelete('set null'))
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at_ms', 'bigint')
    .execute();
  await db.schema
    .createIndex('registry_event_undelivered')
    .on('registry_event')
    .column('id')
    .where(sql.ref('delivered_at_ms'), 'is', null)
    .execute();

  await db.schema
    .createTable('namespace_autoprune_policy')
    .addColumn('uuid', 'text', (c) => c.primaryKey())
    .addColumn('namespace_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('policy', 'jsonb', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('namespace_autoprune_policy_namespace')
    .on('namespace_autoprune_policy')
    .column('namespace_id')
    .execute();
  await db.schema
    .createTable('repository_autoprune_policy')
    .addColumn('uuid', 'text', (c) => c.primaryKey())
    .addColumn('namespace_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('repository_id', 'bigint', (c) =>
      c.notNull().references('repository.id').onDelete('cascade'),
    )
    .addColumn('policy', 'jsonb', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('repository_autoprune_policy_repository')
    .on('repository_autoprune_policy')
    .column('repository_id')
    .execute();
  await db.schema
    .createIndex('repository_autoprune_policy_namespace')
    .on('repository_autoprune_policy')
    .column('namespace_id')
    .execute();
  await db.schema
    .createTable('autoprune_task')
    .addColumn('namespace_id', 'bigint', (c) =>
      c.primaryKey().references('account.id').onDelete('cascade'),
    )
    .addColumn('last_ran_ms', 'bigint')
    .addColumn('status', 'text')
    .addColumn('claim_token', 'text')
    .addColumn('claimed_until_ms', 'bigint')
    .execute();

  // When a blob was last pushed or about to be: garbage collection spares
  // blobs touched within its grace period.
  await db.schema.alterTable('blob').addColumn('last_pushed_ms', 'bigint').execute();
  // The namespace's time-machine window (Quay's tag_expiration_s); null: the default.
  await db.schema.alterTable('account').addColumn('tag_expiration_s', 'integer').execute();
  // Quota presence checks look manifests up by digest across a namespace.
  await db.schema.createIndex('manifest_digest').on('manifest').column('digest').execute();
  await db.schema
    .createIndex('tag_ended')
    .on('tag')
    .column('lifetime_end_ms')
    .where(sql.ref('lifetime_end_ms'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('tag_ended').ifExists().execute();
  await db.schema.dropIndex('manifest_digest').ifExists().execute();
  await db.schema.alterTable('account').dropColumn('tag_expiration_s').execute();
  await db.schema.alterTable('blob').dropColumn('last_pushed_ms').execute();
  for (const table of [
    'autoprune_task',
    'repository_autoprune_policy',
    'namespace_autoprune_policy',
    'registry_event',
    'quota_limit',
    'namespace_quota',
    'quota_registry_size',
    'quota_namespace_size',
    'quota_repository_size',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
