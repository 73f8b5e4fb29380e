import type { Kysely } from 'kysely';

/**
 * Large manifests keep their bytes in blob storage, not in the row: the RDS
 * Data API returns at most 64 KB per row, and manifests may reach 4 MiB.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('manifest')
    .alterColumn('content', (c) => c.dropNotNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('manifest')
    .alterColumn('content', (c) => c.setNotNull())
    .execute();
}
