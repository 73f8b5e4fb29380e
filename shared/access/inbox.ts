import { accessError } from '../errors/access-error.js';
import type { InboxEntry } from '../ports/inbox-store.js';
import type { AccessServices, AdminDeps } from './access-services.js';
import type { Principal } from './principal.js';
import { requireUser } from './users.js';

/** Quay's `/user/notifications`: a user's in-app notifications, and their organizations'. */
export class InboxService {
  constructor(
    private readonly s: AccessServices,
    private readonly admin: AdminDeps,
  ) {}

  /** A page of undismissed entries, newest first, and whether more follow. */
  async list(
    actor: Principal,
    page: number,
    limit: number,
  ): Promise<{ entries: InboxEntry[]; additional: boolean }> {
    const user = requireUser(actor, 'user:read');
    const entries = await this.admin.inbox.list(user.account.id, {
      offset: page * limit,
      limit: limit + 1,
      includeDismissed: false,
    });
    return { entries: entries.slice(0, limit), additional: entries.length > limit };
  }

  async get(actor: Principal, uuid: string): Promise<InboxEntry> {
    const user = requireUser(actor, 'user:read');
    const entry = await this.admin.inbox.find(user.account.id, uuid);
    if (!entry) throw accessError('not_found', `no notification ${uuid}`);
    return entry;
  }

  async setDismissed(actor: Principal, uuid: string, dismissed: boolean): Promise<InboxEntry> {
    const user = requireUser(actor);
    const entry = await this.admin.inbox.setDismissed(user.account.id, uuid, dismissed);
    if (!entry) throw accessError('not_found', `no notification ${uuid}`);
    return entry;
  }
}
