import type { Clock } from '../ports/clock.js';
import type {
  AccountRecord,
  AuditEntry,
  AuditQuery,
  IdentityStore,
  RepositoryAuditEntry,
  RepositoryInfo,
} from '../ports/identity-store.js';
import { accountOf, type Principal } from './principal.js';
import { namespaceOf } from './roles.js';

/** Quay's log kinds for what Berth records. */
export type AuditKind =
  | 'push_repo'
  | 'pull_repo'
  | 'delete_tag'
  | 'create_tag'
  | 'move_tag'
  | 'revert_tag'
  | 'change_tag_expiration'
  | 'manifest_label_add'
  | 'manifest_label_delete'
  | 'create_repo'
  | 'delete_repo'
  | 'change_repo_visibility'
  | 'change_repo_state'
  | 'set_repo_description'
  | 'change_repo_permission'
  | 'delete_repo_permission'
  | 'create_prototype_permission'
  | 'delete_prototype_permission'
  | 'org_create'
  | 'org_delete'
  | 'org_change_email'
  | 'org_change_tag_expiration'
  | 'user_change_tag_expiration'
  | 'org_create_team'
  | 'org_delete_team'
  | 'org_set_team_role'
  | 'org_add_team_member'
  | 'org_remove_team_member'
  | 'create_robot'
  | 'delete_robot'
  | 'regenerate_robot_token'
  | 'user_create'
  | 'user_delete'
  | 'user_change_password'
  | 'user_change_email'
  | 'create_app_specific_token'
  | 'revoke_app_specific_token'
  | 'create_application'
  | 'delete_application'
  | 'reset_application_client_secret'
  | 'quota_warning'
  | 'quota_error'
  | 'add_repo_notification'
  | 'delete_repo_notification'
  | 'reset_repo_notification'
  | 'create_namespace_notification'
  | 'delete_namespace_notification'
  | 'reset_namespace_notification'
  | 'autoprune_tag_delete'
  | 'create_namespace_autoprune_policy'
  | 'update_namespace_autoprune_policy'
  | 'delete_namespace_autoprune_policy'
  | 'create_repository_autoprune_policy'
  | 'update_repository_autoprune_policy'
  | 'delete_repository_autoprune_policy'
  | 'create_immutability_policy'
  | 'update_immutability_policy'
  | 'delete_immutability_policy'
  | 'tag_made_immutable'
  | 'tag_made_mutable'
  | 'repo_mirror_config_changed'
  | 'repo_mirror_sync_started'
  | 'repo_mirror_sync_success'
  | 'repo_mirror_sync_failed'
  // Berth's own: a geo-replication copy given up on.
  | 'storage_replication_failed';

export interface AuditTarget {
  namespace?: AccountRecord | null;
  repository?: RepositoryInfo | null;
}

export interface AuditOptions {
  /**
   * How long registry events (pushes, pulls) may wait to be written with
   * others; 0 writes each at once. A batch costs one database write instead
   * of one per pull.
   */
  batchDelayMs: number;
  /**
   * How many unwritten registry events are kept while the database cannot
   * take them; past it the oldest go. A crash loses what is unwritten: at
   * most the batch delay's worth, or during an outage at most this many.
   */
  maxPending?: number;
  onFlushError: (error: unknown) => void;
}

const MAX_BATCH = 200;
export const MAX_PENDING_AUDIT = 10_000;
const FIRST_RETRY_MS = 1_000;
const LAST_RETRY_MS = 60_000;

/** Writes the audit log; every change of content, access or accounts goes through here. */
export class AuditLog {
  private pending: RepositoryAuditEntry[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private retryMs = FIRST_RETRY_MS;
  private readonly maxPending: number;

  constructor(
    private readonly store: IdentityStore,
    private readonly clock: Clock,
    private readonly options: AuditOptions = { batchDelayMs: 0, onFlushError: () => {} },
  ) {
    this.maxPending = options.maxPending ?? MAX_PENDING_AUDIT;
  }

  async record(
    kind: AuditKind,
    performer: Principal,
    target: AuditTarget,
    metadata: Record<string, unknown> = {},
    ip: string | null = null,
  ): Promise<void> {
    const account = accountOf(performer);
    const repository = target.repository ?? null;
    let namespace = target.namespace ?? null;
    if (!namespace && repository?.namespaceId != null) {
      namespace = await this.store.findAccountById(repository.namespaceId);
    }
    await this.store.appendAudit({
      kind,
      performer: account ? { id: account.id, name: account.name } : null,
      namespace: namespace ? { id: namespace.id, name: namespace.name } : null,
      repository: repository
        ? {
            id: repository.id,
            name:
              repository.name.slice((namespaceOf(repository.name) ?? '').length + 1) ||
              repository.name,
          }
        : null,
      ip,
      metadata: { ...metadata, ...(repository ? { repo: repository.name } : {}) },
      createdAtMs: this.clock.now(),
    });
  }

  /**
   * Logs an event on a repository known by name only: the registry's hot
   * path (every push and pull) pays no lookups. With a batch delay, entries
   * are written together at most that much later (see `AuditOptions`). The
   * event has happened by now, so a failed write does not fail it: the
   * entry waits for the database and is written on a later try.
   */
  async recordByName(
    kind: AuditKind,
    performer: { id: number; name: string } | null,
    repositoryName: string,
    metadata: Record<string, unknown>,
    ip: string | null,
  ): Promise<void> {
    this.pending.push({
      repositoryName,
      kind,
      performer,
      ip,
      metadata: { ...metadata, repo: repositoryName },
      createdAtMs: this.clock.now(),
    });
    this.dropOverflow();
    if (this.options.batchDelayMs === 0 || this.pending.length >= MAX_BATCH) {
      await this.flush().catch(this.options.onFlushError);
    } else {
      this.schedule(this.options.batchDelayMs);
    }
  }

  /**
   * Writes what is pending; call before the process stops. Throws if the
   * database refuses, keeping what was not written for the next try.
   */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    for (let start = 0; start < batch.length; start += MAX_BATCH) {
      try {
        await this.store.appendAuditForRepositories(batch.slice(start, start + MAX_BATCH));
      } catch (error) {
        this.pending = [...batch.slice(start), ...this.pending];
        this.dropOverflow();
        this.schedule(this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
        throw error;
      }
    }
    this.retryMs = FIRST_RETRY_MS;
  }

  /** How many registry events wait to be written. */
  get unwritten(): number {
    return this.pending.length;
  }

  private schedule(delayMs: number) {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush().catch(this.options.onFlushError), delayMs);
    // A pending batch must not keep a stopping process alive; close() flushes it.
    this.timer.unref?.();
  }

  private dropOverflow() {
    const over = this.pending.length - this.maxPending;
    if (over <= 0) return;
    this.pending.splice(0, over);
    this.options.onFlushError(
      new Error(`${over} audit entries dropped: more than ${this.maxPending} could not be written`),
    );
  }
}

export interface AuditPage {
  entries: (AuditEntry & { id: number })[];
  /** The id to continue before, when more entries may follow. */
  nextBeforeId: number | undefined;
}

/** Reads the audit log for those allowed to: repository and organization admins, and users for themselves. */
export async function readAudit(
  store: IdentityStore,
  query: Omit<AuditQuery, 'limit'>,
  limit = 50,
): Promise<AuditPage> {
  const entries = await store.listAudit({ ...query, limit: limit + 1 });
  const more = entries.length > limit;
  const page = entries.slice(0, limit);
  return { entries: page, nextBeforeId: more ? page[page.length - 1]!.id : undefined };
}
