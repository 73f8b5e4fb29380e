import type { Kysely } from 'kysely';

/** Repositories users starred (Quay's `/user/starred`): one row per user and repository. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('repository_star')
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('repository_id', 'bigint', (c) =>
      c.notNull().references('repository.id').onDelete('cascade'),
    )
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('repository_star_pkey', ['account_id', 'repository_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('repository_star').execute();
}
