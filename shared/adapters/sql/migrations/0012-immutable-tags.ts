import type { Kysely } from 'kysely';

/**
 * Immutable tags (Quay 3.17): a flag on a tag's live row, and policies that
 * make every tag whose name matches (or, with `tag_pattern_matches` false,
 * does not match) a pattern immutable, for a namespace or one repository.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tag')
    .addColumn('immutable', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .createTable('immutability_policy')
    .addColumn('uuid', 'text', (c) => c.primaryKey())
    .addColumn('namespace_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('repository_id', 'bigint', (c) => c.references('repository.id').onDelete('cascade'))
    .addColumn('tag_pattern', 'text', (c) => c.notNull())
    .addColumn('tag_pattern_matches', 'boolean', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('immutability_policy_namespace')
    .on('immutability_policy')
    .columns(['namespace_id', 'repository_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('immutability_policy').execute();
  await db.schema.alterTable('tag').dropColumn('immutable').execute();
}
