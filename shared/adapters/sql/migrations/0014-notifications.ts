import { sql, type Kysely } from 'kysely';

/**
 * Notifications (Quay's repository and namespace notifications), and the
 * outbox that delivers them: one delivery row per event and notification,
 * written in the transaction that records the event, so a process that
 * dies before sending loses nothing; it ends delivered, or failed with its
 * reason after its attempts. In-app notifications for users, the tags an
 * expiry notification has already announced, and the e-mail addresses a
 * repository's notifications may write to. Registry events gain a claim,
 * for publishing them to an event bus.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notification')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('namespace_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    // Null for a namespace notification (quota events).
    .addColumn('repository_id', 'bigint', (c) => c.references('repository.id').onDelete('cascade'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addColumn('event_config', 'jsonb', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('secret_sealed', 'text')
    .addColumn('number_of_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('notification_repository_event_idx')
    .on('notification')
    .columns(['repository_id', 'event'])
    .execute();
  await db.schema
    .createIndex('notification_namespace_event_idx')
    .on('notification')
    .columns(['namespace_id', 'event'])
    .where(sql.ref('repository_id'), 'is', null)
    .execute();

  await db.schema
    .createTable('notification_delivery')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('notification_id', 'bigint', (c) =>
      c.notNull().references('notification.id').onDelete('cascade'),
    )
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
    .addColumn('claim_token', 'text')
    .addColumn('claimed_until_ms', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('finished_at_ms', 'bigint')
    .execute();
  await db.schema
    .createIndex('notification_delivery_due_idx')
    .on('notification_delivery')
    .column('next_attempt_ms')
    .where(sql.ref('state'), '=', 'pending')
    .execute();
  await db.schema
    .createIndex('notification_delivery_notification_idx')
    .on('notification_delivery')
    .columns(['notification_id', 'id'])
    .execute();

  await db.schema
    .createIndex('notification_delivery_finished_idx')
    .on('notification_delivery')
    .column('finished_at_ms')
    .where(sql.ref('finished_at_ms'), 'is not', null)
    .execute();

  await db.schema
    .createTable('user_notification')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    // A user, or an organization (then its administrators see it).
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('metadata', 'jsonb', (c) => c.notNull())
    .addColumn('dismissed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('user_notification_account_idx')
    .on('user_notification')
    .columns(['account_id', 'created_at_ms'])
    .execute();

  await db.schema
    .createTable('notification_tag_expiry')
    .addColumn('notification_id', 'bigint', (c) =>
      c.notNull().references('notification.id').onDelete('cascade'),
    )
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_tag_expiry_pkey', [
      'notification_id',
      'tag',
      'expires_at_ms',
    ])
    .execute();

  await db.schema
    .createTable('repository_authorized_email')
    .addColumn('repository_id', 'bigint', (c) =>
      c.notNull().references('repository.id').onDelete('cascade'),
    )
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('confirmed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('repository_authorized_email_pkey', ['repository_id', 'email'])
    .execute();

  await db.schema.alterTable('registry_event').addColumn('claim_token', 'text').execute();
  await db.schema.alterTable('registry_event').addColumn('claimed_until_ms', 'bigint').execute();
  await db.schema
    .createIndex('registry_event_created_idx')
    .on('registry_event')
    .column('created_at_ms')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('registry_event_created_idx').execute();
  await db.schema.alterTable('registry_event').dropColumn('claimed_until_ms').execute();
  await db.schema.alterTable('registry_event').dropColumn('claim_token').execute();
  for (const table of [
    'repository_authorized_email',
    'notification_tag_expiry',
    'user_notification',
    'notification_delivery',
    'notification',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
