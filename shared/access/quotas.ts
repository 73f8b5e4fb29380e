import { accessError } from '../errors/access-error.js';
import type { AccountRecord, RepositoryInfo } from '../ports/identity-store.js';
import {
  QuotaExistsError,
  QuotaLimitExistsError,
  type NamespaceQuotaRecord,
  type QuotaLimitRecord,
} from '../ports/quota-store.js';
import type { QuotaLimitKind } from '../registry/quota-policy.js';
import type { AccessServices, AdminDeps } from './access-services.js';
import { isSuperuser, type Principal } from './principal.js';
import { requireNamespace, requireSuperuser, requireUser } from './users.js';

export interface QuotaReport {
  quotaBytes: number;
  configuredQuota: number | null;
  backfilled: boolean;
}

/** A repository's share of its namespace's quota (Quay's repository `quota_report`). */
export interface RepositoryQuotaReport {
  quotaBytes: number;
  configuredQuota: number | null;
}

/**
 * Namespace quotas as Quay manages them: superusers set them and their
 * limits; an organization's members and a user for themselves may look.
 */
export class QuotaService {
  constructor(
    private readonly s: AccessServices,
    private readonly admin: AdminDeps,
  ) {}

  /** Whether quotas are managed at all (Quay's FEATURE_QUOTA_MANAGEMENT). */
  get enabled(): boolean {
    return this.s.deps.options.quotaEnabled !== false;
  }

  private requireEnabled(): void {
    if (!this.enabled) {
      throw accessError('not_found', 'quota management is not enabled (FEATURE_QUOTA_MANAGEMENT)');
    }
  }

  /** The namespace, if the caller may see its quota. */
  async viewable(actor: Principal, name: string): Promise<AccountRecord> {
    this.requireEnabled();
    const namespace = await requireNamespace(this.s, name);
    if (isSuperuser(actor)) return namespace;
    const user = requireUser(actor, 'user:read');
    if (user.account.id === namespace.id) return namespace;
    if (
      namespace.kind === 'organization' &&
      (await this.s.deps.store.teamsOf(namespace.id, user.account.id)).length > 0
    ) {
      return namespace;
    }
    throw accessError('forbidden', `you may not see the quota of ${name}`);
  }

  async list(actor: Principal, name: string): Promise<NamespaceQuotaRecord[]> {
    const namespace = await this.viewable(actor, name);
    const quota = await this.s.deps.quota.findQuota(namespace.id);
    return quota ? [quota] : [];
  }

  async get(actor: Principal, name: string, quotaId: number): Promise<NamespaceQuotaRecord> {
    return this.requireQuota(await this.viewable(actor, name), quotaId);
  }

  /**
   * A namespace's quotas and usage for the views its members and owner see
   * (the caller's right to see them is the view's to check); null when
   * quotas are not managed.
   */
  async overview(
    namespace: AccountRecord,
  ): Promise<{ quotas: NamespaceQuotaRecord[]; report: QuotaReport } | null> {
    if (!this.enabled) return null;
    const quota = await this.s.deps.quota.findQuota(namespace.id);
    return { quotas: quota ? [quota] : [], report: await this.report(namespace) };
  }

  /** Sizes for the repositories of one page, by id; null when quotas are not managed. */
  async repositoryReports(
    repositories: readonly RepositoryInfo[],
  ): Promise<Map<number, RepositoryQuotaReport> | null> {
    if (!this.enabled) return null;
    const sizes = await this.s.deps.quota.repositorySizes(repositories.map((r) => r.id));
    const limits = new Map<number, number | null>();
    for (const namespaceId of new Set(repositories.map((r) => r.namespaceId))) {
      if (namespaceId === null) continue;
      limits.set(namespaceId, (await this.s.deps.quota.findQuota(namespaceId))?.limitBytes ?? null);
    }
    return new Map(
      repositories.map((r) => [
        r.id,
        {
          quotaBytes: sizes.get(r.id)?.sizeBytes ?? 0,
          configuredQuota: r.namespaceId === null ? null : (limits.get(r.namespaceId) ?? null),
        },
      ]),
    );
  }

  async report(namespace: AccountRecord): Promise<QuotaReport> {
    this.requireEnabled();
    const size = await this.s.deps.quota.namespaceSize(namespace.id);
    const quota = await this.s.deps.quota.findQuota(namespace.id);
    return {
      quotaBytes: size.sizeBytes,
      configuredQuota: quota?.limitBytes ?? null,
      backfilled: size.backfilled,
    };
  }

  private async requireQuota(namespace: AccountRecord, quotaId: number) {
    const quota = await this.s.deps.quota.findQuota(namespace.id);
    if (!quota || quota.id !== quotaId) {
      throw accessError('not_found', `no quota ${quotaId} on ${namespace.name}`);
    }
    return quota;
  }

  private async administered(actor: Principal, name: string): Promise<AccountRecord> {
    this.requireEnabled();
    requireSuperuser(actor);
    return requireNamespace(this.s, name);
  }

  async create(actor: Principal, name: string, limitBytes: number): Promise<NamespaceQuotaRecord> {
    const namespace = await this.administered(actor, name);
    try {
      return await this.s.deps.quota.createQuota(namespace.id, limitBytes, this.s.deps.clock.now());
    } catch (error) {
      if (error instanceof QuotaExistsError) {
        throw accessError('invalid_request', `${name} already has a quota; change it instead`);
      }
      throw error;
    }
  }

  async update(actor: Principal, name: string, quotaId: number, limitBytes: number) {
    const quota = await this.requireQuota(await this.administered(actor, name), quotaId);
    await this.s.deps.quota.setQuotaLimitBytes(quota.id, limitBytes);
    return { ...quota, limitBytes };
  }

  async delete(actor: Principal, name: string, quotaId: number): Promise<void> {
    const quota = await this.requireQuota(await this.administered(actor, name), quotaId);
    await this.s.deps.quota.deleteQuota(quota.id);
  }

  async limits(actor: Principal, name: string, quotaId: number): Promise<QuotaLimitRecord[]> {
    return (await this.get(actor, name, quotaId)).limits;
  }

  async limit(actor: Principal, name: string, quotaId: number, limitId: number) {
    return this.requireLimit(await this.get(actor, name, quotaId), limitId);
  }

  private requireLimit(quota: NamespaceQuotaRecord, limitId: number): QuotaLimitRecord {
    const limit = quota.limits.find((l) => l.id === limitId);
    if (!limit) throw accessError('not_found', `no limit ${limitId} on quota ${quota.id}`);
    return limit;
  }

  async addLimit(
    actor: Principal,
    name: string,
    quotaId: number,
    kind: QuotaLimitKind,
    thresholdPercent: number,
  ): Promise<QuotaLimitRecord> {
    const quota = await this.requireQuota(await this.administered(actor, name), quotaId);
    return this.duplicateSafe(() => this.s.deps.quota.addLimit(quota.id, kind, thresholdPercent));
  }

  async updateLimit(
    actor: Principal,
    name: string,
    quotaId: number,
    limitId: number,
    changes: { kind?: QuotaLimitKind | undefined; thresholdPercent?: number | undefined },
  ): Promise<QuotaLimitRecord> {
    const quota = await this.requireQuota(await this.administered(actor, name), quotaId);
    const current = this.requireLimit(quota, limitId);
    const next = {
      id: current.id,
      kind: changes.kind ?? current.kind,
      thresholdPercent: changes.thresholdPercent ?? current.thresholdPercent,
    };
    await this.duplicateSafe(() => this.s.deps.quota.updateLimit(quota.id, next));
    return next;
  }

  async deleteLimit(actor: Principal, name: string, quotaId: number, limitId: number) {
    const quota = await this.requireQuota(await this.administered(actor, name), quotaId);
    if (!(await this.s.deps.quota.deleteLimit(quota.id, limitId))) {
      throw accessError('not_found', `no limit ${limitId} on quota ${quotaId}`);
    }
  }

  private async duplicateSafe<T>(change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } catch (error) {
      if (error instanceof QuotaLimitExistsError) {
        throw accessError(
          'invalid_request',
          'the quota already has a limit of this type and threshold',
        );
      }
      throw error;
    }
  }

  async registrySize(actor: Principal) {
    requireSuperuser(actor);
    return this.s.deps.quota.registrySize();
  }

  async queueRegistrySize(actor: Principal): Promise<void> {
    requireSuperuser(actor);
    await this.s.deps.quota.queueRegistrySize();
    await this.admin.wakeups.wakeAt('quota-backfill', this.s.deps.clock.now());
  }
}
