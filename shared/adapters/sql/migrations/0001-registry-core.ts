import { sql, type Kysely } from 'kysely';

// Names use the "C" collation so ORDER BY and `>` pagination follow byte
// order, as tag and catalog listings require, whatever the server's locale.
const byteOrderedText = sql`text collate "C"`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('repository')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('name', byteOrderedText, (c) => c.notNull().unique())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('blob')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('blob_placement')
    .addColumn('digest', 'text', (c) => c.notNull().references('blob.digest').onDelete('cascade'))
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_placement_pk', ['digest', 'location'])
    .execute();

  await db.schema
    .createTable('repository_blob')
    .addColumn('repository_id', 'bigint', (c) =>
      c.notNull().references('repository.id').onDelete('cascade'),
    )
    .addColumn('digest', 'text', (c) => c.notNull().references('blob.digest'))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('repository_blob_pk', ['repository_id', 'digest'])
    .execute();
  await db.schema
    .createIndex('repository_blob_digest')
    .on('repository_blob')
    .column('digest')
    .execute();

  await db.schema
    .createTable('blob_upload')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repository_id', 'bigint', (c) =>
      c.notNull().references('repository.id').onDelete('cascade'),
    )
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('manifest')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('repository_id', 'bigint', (c) =>
      c.notNull().references('repository.id').onDelete('cascade'),
    )
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('artifact_type', 'text')
    .addColumn('subject_digest', 'text')
    .addColumn('annotations', 'jsonb')
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at_ms', 'bigint')
    .addUniqueConstraint('manifest_repository_digest', ['repository_id', 'digest'])
    .execute();
  await db.schema
    .createIndex('manifest_subject')
    .on('manifest')
    .columns(['repository_id', 'subject_digest'])
    .where(sql.ref('subject_digest'), 'is not', null)
    .execute();

  await db.schema
    .createTable('manifest_blob')
    .addColumn('manifest_id', 'bigint', (c) =>
      c.notNull().references('manifest.id').onDelete('cascade'),
    )
    .addColumn('digest', 'text', (c) => c.notNull().references('blob.digest'))
    .addPrimaryKeyConstraint('manifest_blob_pk', ['manifest_id', 'digest'])
    .execute();
  await db.schema
    .createIndex('manifest_blob_digest')
    .on('manifest_blob')
    .column('digest')
    .execute();

  await db.schema
    .createTable('manifest_child')
    .addColumn('manifest_id', 'bigint', (c) =>
      c.notNull().references('manifest.id').onDelete('cascade'),
    )
    .addColumn('child_id', 'bigint', (c) => c.notNull().references('manifest.id'))
    .addPrimaryKeyConstraint('manifest_child_pk', ['manifest_id', 'child_id'])
    .execute();
  await db.schema
    .createIndex('manifest_child_child')
    .on('manifest_child')
    .column('child_id')
    .execute();

  await db.schema
    .createTable('tag')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('repository_id', 'bigint', (c) =>
      c.notNull().references('repository.id').onDelete('cascade'),
    )
    .addColumn('name', byteOrderedText, (c) => c.notNull())
    .addColumn('manifest_id', 'bigint', (c) => c.notNull().references('manifest.id'))
    .addColumn('lifetime_start_ms', 'bigint', (c) => c.notNull())
    .addColumn('lifetime_end_ms', 'bigint')
    .execute();
  await db.schema
    .createIndex('tag_live_name')
    .on('tag')
    .columns(['repository_id', 'name'])
    .unique()
    .where(sql.ref('lifetime_end_ms'), 'is', null)
    .execute();
  await db.schema.createIndex('tag_manifest').on('tag').column('manifest_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'tag',
    'manifest_child',
    'manifest_blob',
    'manifest',
    'blob_upload',
    'repository_blob',
    'blob_placement',
    'blob',
    'repository',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
