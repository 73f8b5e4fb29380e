import type { Kysely } from 'kysely';

/**
 * Tag rows with an end (history, or an expiry still to come), indexed by
 * repository and name. A live tag is found by name as "no end, or an end
 * later than now"; with only the live-name index and the index of ends by
 * time, Postgres answered the second half by reading every tag in the
 * registry that ends later than now, whatever its repository, on every
 * manifest GET and tag push. With this index both halves are one probe.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('tag_ended_name')
    .on('tag')
    .columns(['repository_id', 'name', 'lifetime_end_ms'])
    .where('lifetime_end_ms', 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('tag_ended_name').execute();
}
