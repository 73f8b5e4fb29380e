import type { Kysely } from 'kysely';

/** Labels on manifests, as Quay's API sets and lists them. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('manifest_label')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('manifest_id', 'bigint', (c) =>
      c.notNull().references('manifest.id').onDelete('cascade'),
    )
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('manifest_label_manifest')
    .on('manifest_label')
    .column('manifest_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('manifest_label').ifExists().execute();
}
