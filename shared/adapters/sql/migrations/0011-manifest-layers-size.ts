import { sql, type Kysely } from 'kysely';

/**
 * The size of a manifest's image (Quay's `layers_compressed_size`): the sum
 * of its layers' sizes, what a pull downloads besides the config; null for
 * an index, whose platforms each have their own. Manifests already stored
 * with their bytes in the database get theirs from those bytes; the few kept
 * in blob storage stay null until pushed again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('manifest').addColumn('layers_size', 'bigint').execute();
  await sql`
    update manifest set layers_size = (
      select coalesce(sum((layer ->> 'size')::bigint), 0)
      from jsonb_array_elements(convert_from(content, 'UTF8')::jsonb -> 'layers') as layer)
    where content is not null
      and jsonb_typeof(convert_from(content, 'UTF8')::jsonb -> 'layers') = 'array'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('manifest').dropColumn('layers_size').execute();
}
