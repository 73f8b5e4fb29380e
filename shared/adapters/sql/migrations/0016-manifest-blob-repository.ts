import { sql, type Kysely } from 'kysely';

/**
 * Each manifest's blob link carries the manifest's repository, indexed with
 * the digest. A quota check asks "does this repository (or namespace) hold
 * this digest through some manifest?" on every push; through the manifest
 * join, Postgres answered it by hashing the whole repository's links, so a
 * push cost more the more images the repository held. With the repository
 * beside the digest it is one index probe per repository. A manifest never
 * changes repository, so the copy never goes stale.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('manifest_blob').addColumn('repository_id', 'bigint').execute();
  await sql`
    update manifest_blob mb set repository_id = m.repository_id
    from manifest m where m.id = mb.manifest_id`.execute(db);
  await sql`alter table manifest_blob alter column repository_id set not null`.execute(db);
  // The new index leads with the digest, so it also serves every lookup by digest alone.
  await db.schema.dropIndex('manifest_blob_digest').execute();
  await db.schema
    .createIndex('manifest_blob_digest_repository')
    .on('manifest_blob')
    .columns(['digest', 'repository_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('manifest_blob_digest_repository').execute();
  await db.schema
    .createIndex('manifest_blob_digest')
    .on('manifest_blob')
    .column('digest')
    .execute();
  await db.schema.alterTable('manifest_blob').dropColumn('repository_id').execute();
}
