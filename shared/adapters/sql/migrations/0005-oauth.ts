import { sql, type Kysely } from 'kysely';

/**
 * OAuth 2 applications of organizations, the access tokens users grant
 * them, and short-lived authorization codes. Secrets, tokens and codes are
 * kept as SHA-256 hashes only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oauth_application')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('organization_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('client_id', 'text', (c) => c.notNull().unique())
    .addColumn('client_secret_hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('application_uri', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('oauth_access_token')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('application_id', 'bigint', (c) =>
      c.notNull().references('oauth_application.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('oauth_authorization_code')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('application_id', 'bigint', (c) =>
      c.notNull().references('oauth_application.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await sql`create index oauth_application_organization on oauth_application (organization_id)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['oauth_authorization_code', 'oauth_access_token', 'oauth_application']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
