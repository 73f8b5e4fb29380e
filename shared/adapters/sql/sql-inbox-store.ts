import type { Kysely } from 'kysely';
import type { InboxEntry, InboxStore, InboxTarget } from '../../ports/inbox-store.js';
import { asJson } from './identity/rows.js';
import type { Database } from './schema.js';

/** In-app notifications: rows per user, or per organization for its administrators. */
export class SqlInboxStore implements InboxStore {
  constructor(private readonly db: Kysely<Database>) {}

  private async recipients(target: InboxTarget): Promise<number[]> {
    if (target.kind === 'team') {
      const rows = await this.db
        .selectFrom('team_member')
        .innerJoin('team', 'team.id', 'team_member.team_id')
        .innerJoin('account as org', 'org.id', 'team.organization_id')
        .innerJoin('account as member', 'member.id', 'team_member.account_id')
        .select('member.id')
        .where('org.name', '=', target.organization)
        .where('team.name', '=', target.name)
        .where('member.kind', '=', 'user')
        .execute();
      return rows.map((r) => r.id);
    }
    const row = await this.db
      .selectFrom('account')
      .select('id')
      .where('name', '=', target.name)
      .where('kind', '=', target.kind === 'org' ? 'organization' : 'user')
      .executeTakeFirst();
    return row ? [row.id] : [];
  }

  async post(
    target: InboxTarget,
    entry: { kind: string; metadata: Record<string, unknown> },
    newId: () => string,
    nowMs: number,
  ): Promise<number> {
    const accounts = await this.recipients(target);
    if (accounts.length === 0) return 0;
    await this.db
      .insertInto('user_notification')
      .values(
        accounts.map((accountId) => ({
          uuid: newId(),
          account_id: accountId,
          kind: entry.kind,
          metadata: asJson(entry.metadata),
          created_at_ms: nowMs,
        })),
      )
      .execute();
    return accounts.length;
  }

  /** The user's own entries and those of organizations they administer. */
  private visible(userId: number) {
    return this.db
      .selectFrom('user_notification as n')
      .innerJoin('account as a', 'a.id', 'n.account_id')
      .select([
        'n.uuid',
        'n.kind',
        'n.metadata',
        'n.dismissed',
        'n.created_at_ms',
        'a.name as account_name',
        'a.kind as account_kind',
      ])
      .where((eb) =>
        eb.or([
          eb('n.account_id', '=', userId),
          eb(
            'n.account_id',
            'in',
            eb
              .selectFrom('team')
              .innerJoin('team_member', 'team_member.team_id', 'team.id')
              .select('team.organization_id')
              .where('team.role', '=', 'admin')
              .where('team_member.account_id', '=', userId),
          ),
        ]),
      );
  }

  private toEntry(r: {
    uuid: string;
    kind: string;
    metadata: Record<string, unknown>;
    dismissed: boolean;
    created_at_ms: number;
    account_name: string;
    account_kind: string;
  }): InboxEntry {
    return {
      uuid: r.uuid,
      kind: r.kind,
      organization: r.account_kind === 'organization' ? r.account_name : null,
      metadata: r.metadata,
      dismissed: r.dismissed,
      createdAtMs: r.created_at_ms,
    };
  }

  async list(
    userId: number,
    page: { offset: number; limit: number; includeDismissed: boolean },
  ): Promise<InboxEntry[]> {
    let query = this.visible(userId);
    if (!page.includeDismissed) query = query.where('n.dismissed', '=', false);
    const rows = await query
      .orderBy('n.created_at_ms', 'desc')
      .orderBy('n.id', 'desc')
      .offset(page.offset)
      .limit(page.limit)
      .execute();
    return rows.map((r) => this.toEntry(r));
  }

  async find(userId: number, uuid: string): Promise<InboxEntry | null> {
    const row = await this.visible(userId).where('n.uuid', '=', uuid).executeTakeFirst();
    return row ? this.toEntry(row) : null;
  }

  async setDismissed(userId: number, uuid: string, dismissed: boolean): Promise<InboxEntry | null> {
    const found = await this.find(userId, uuid);
    if (!found) return null;
    await this.db
      .updateTable('user_notification')
      .set({ dismissed })
      .where('uuid', '=', uuid)
      .execute();
    return { ...found, dismissed };
  }
}
