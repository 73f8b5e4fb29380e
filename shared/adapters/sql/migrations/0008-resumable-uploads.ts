import type { Kysely } from 'kysely';

/**
 * Upload sessions any process can continue, and blobs published where
 * their upload left them.
 *
 * - `blob_upload` becomes the session's one commit point: the size, the
 *   store's own small state, and the running SHA-256 state after exactly
 *   `size` bytes are saved together. A request claims the row for itself
 *   (`claim_token` until `claimed_until_ms`), so two processes never
 *   append to one session at once.
 * - `blob_placement.storage_key` names the object when it is not under the
 *   digest's canonical key (an S3 multipart upload cannot be renamed, so a
 *   large blob stays where it was uploaded). Null: the canonical key.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('blob_upload')
    .addColumn('store_state', 'jsonb')
    .addColumn('digest_state', 'bytea')
    .addColumn('claim_token', 'text')
    .addColumn('claimed_until_ms', 'bigint')
    .execute();
  await db.schema.alterTable('blob_placement').addColumn('storage_key', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('blob_placement').dropColumn('storage_key').execute();
  await db.schema
    .alterTable('blob_upload')
    .dropColumn('store_state')
    .dropColumn('digest_state')
    .dropColumn('claim_token')
    .dropColumn('claimed_until_ms')
    .execute();
}
