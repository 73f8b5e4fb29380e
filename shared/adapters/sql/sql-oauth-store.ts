import type { Kysely, Selectable } from 'kysely';
import type { OAuthApplicationRecord, OAuthGrant, OAuthStore } from '../../ports/oauth-store.js';
import type { Database, OAuthApplicationTable } from './schema.js';

const toApplication = (r: Selectable<OAuthApplicationTable>): OAuthApplicationRecord => ({
  id: r.id,
  organizationId: r.organization_id,
  clientId: r.client_id,
  name: r.name,
  description: r.description,
  redirectUri: r.redirect_uri,
  applicationUri: r.application_uri,
  createdAtMs: r.created_at_ms,
});

const toGrant = (r: {
  application_id: number;
  account_id: number;
  scope: string;
  expires_at_ms: number;
}): OAuthGrant => ({
  applicationId: r.application_id,
  accountId: r.account_id,
  scope: r.scope,
  expiresAtMs: r.expires_at_ms,
});

/** The OAuth store over any Postgres that Kysely reaches. */
export class SqlOAuthStore implements OAuthStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createApplication(
    a: Omit<OAuthApplicationRecord, 'id'> & { clientSecretHash: string },
  ): Promise<OAuthApplicationRecord> {
    const row = await this.db
      .insertInto('oauth_application')
      .values({
        organization_id: a.organizationId,
        client_id: a.clientId,
        client_secret_hash: a.clientSecretHash,
        name: a.name,
        description: a.description,
        redirect_uri: a.redirectUri,
        application_uri: a.applicationUri,
        created_at_ms: a.createdAtMs,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toApplication(row);
  }

  async findApplication(clientId: string) {
    const row = await this.db
      .selectFrom('oauth_application')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row ? { ...toApplication(row), clientSecretHash: row.client_secret_hash } : null;
  }

  async listApplications(organizationId: number): Promise<OAuthApplicationRecord[]> {
    const rows = await this.db
      .selectFrom('oauth_application')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('name')
      .execute();
    return rows.map(toApplication);
  }

  async updateApplication(
    clientId: string,
    c: {
      clientSecretHash?: string;
      name?: string;
      description?: string;
      redirectUri?: string;
      applicationUri?: string;
    },
  ): Promise<void> {
    const set: Record<string, string> = {};
    if (c.clientSecretHash !== undefined) set.client_secret_hash = c.clientSecretHash;
    if (c.name !== undefined) set.name = c.name;
    if (c.description !== undefined) set.description = c.description;
    if (c.redirectUri !== undefined) set.redirect_uri = c.redirectUri;
    if (c.applicationUri !== undefined) set.application_uri = c.applicationUri;
    if (Object.keys(set).length === 0) return;
    await this.db
      .updateTable('oauth_application')
      .set(set)
      .where('client_id', '=', clientId)
      .execute();
  }

  async deleteApplication(clientId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('oauth_application')
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async createAccessToken(
    t: OAuthGrant & { id: string; tokenHash: string; createdAtMs: number },
  ): Promise<void> {
    await this.db
      .insertInto('oauth_access_token')
      .values({
        id: t.id,
        application_id: t.applicationId,
        account_id: t.accountId,
        token_hash: t.tokenHash,
        scope: t.scope,
        created_at_ms: t.createdAtMs,
        expires_at_ms: t.expiresAtMs,
      })
      .execute();
  }

  async findAccessToken(tokenHash: string): Promise<OAuthGrant | null> {
    const row = await this.db
      .selectFrom('oauth_access_token')
      .select(['application_id', 'account_id', 'scope', 'expires_at_ms'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row ? toGrant(row) : null;
  }

  async createAuthorizationCode(
    c: OAuthGrant & { codeHash: string; redirectUri: string },
  ): Promise<void> {
    await this.db
      .insertInto('oauth_authorization_code')
      .values({
        code_hash: c.codeHash,
        application_id: c.applicationId,
        account_id: c.accountId,
        scope: c.scope,
        redirect_uri: c.redirectUri,
        expires_at_ms: c.expiresAtMs,
      })
      .execute();
  }

  async takeAuthorizationCode(codeHash: string) {
    const row = await this.db
      .deleteFrom('oauth_authorization_code')
      .where('code_hash', '=', codeHash)
      .returning(['application_id', 'account_id', 'scope', 'redirect_uri', 'expires_at_ms'])
      .executeTakeFirst();
    return row ? { ...toGrant(row), redirectUri: row.redirect_uri } : null;
  }
}
