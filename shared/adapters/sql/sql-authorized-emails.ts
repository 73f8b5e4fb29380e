import type { Kysely } from 'kysely';
import type { AuthorizedEmail, AuthorizedEmailStore } from '../../ports/authorized-email-store.js';
import type { Database } from './schema.js';

/** The e-mail addresses each repository's notifications may write to. */
export class SqlAuthorizedEmails implements AuthorizedEmailStore {
  constructor(private readonly db: Kysely<Database>) {}

  async find(repositoryId: number, email: string): Promise<AuthorizedEmail | null> {
    const row = await this.db
      .selectFrom('repository_authorized_email')
      .select(['repository_id', 'email', 'confirmed'])
      .where('repository_id', '=', repositoryId)
      .where('email', '=', email)
      .executeTakeFirst();
    return row
      ? { repositoryId: row.repository_id, email: row.email, confirmed: row.confirmed }
      : null;
  }

  async request(
    repositoryId: number,
    email: string,
    code: string,
    nowMs: number,
  ): Promise<AuthorizedEmail> {
    const row = await this.db
      .insertInto('repository_authorized_email')
      .values({ repository_id: repositoryId, email, code, created_at_ms: nowMs })
      .onConflict((oc) =>
        oc.columns(['repository_id', 'email']).doUpdateSet({ code, created_at_ms: nowMs }),
      )
      .returning(['repository_id', 'email', 'confirmed'])
      .executeTakeFirstOrThrow();
    return { repositoryId: row.repository_id, email: row.email, confirmed: row.confirmed };
  }

  async confirm(code: string): Promise<(AuthorizedEmail & { repositoryName: string }) | null> {
    const row = await this.db
      .updateTable('repository_authorized_email')
      .set({ confirmed: true })
      .from('repository')
      .whereRef('repository.id', '=', 'repository_authorized_email.repository_id')
      .where('repository_authorized_email.code', '=', code)
      .returning([
        'repository_authorized_email.repository_id',
        'repository_authorized_email.email',
        'repository.name',
      ])
      .executeTakeFirst();
    return row
      ? {
          repositoryId: row.repository_id,
          email: row.email,
          confirmed: true,
          repositoryName: row.name,
        }
      : null;
  }
}
