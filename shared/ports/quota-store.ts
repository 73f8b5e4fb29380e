import type { QuotaLimitKind } from '../registry/quota-policy.js';
import type { QuotaExceeded } from './metadata-store.js';

/** Namespace quotas and their limits, sizes, and the workers that count them. */

export interface QuotaLimitRecord {
  id: number;
  kind: QuotaLimitKind;
  thresholdPercent: number;
}

export interface NamespaceQuotaRecord {
  id: number;
  namespaceId: number;
  limitBytes: number;
  limits: QuotaLimitRecord[];
}

export interface ContentSize {
  sizeBytes: number;
  /** False until the backfill worker has counted content older than the size row. */
  backfilled: boolean;
}

export interface RegistrySize {
  sizeBytes: number;
  lastRanMs: number | null;
  queued: boolean;
  running: boolean;
}

export class QuotaExistsError extends Error {
  constructor() {
    super('the namespace already has a quota');
    this.name = 'QuotaExistsError';
  }
}

export class QuotaLimitExistsError extends Error {
  constructor() {
    super('the quota already has a limit of this type and threshold');
    this.name = 'QuotaLimitExistsError';
  }
}

export interface QuotaStore {
  findQuota(namespaceId: number): Promise<NamespaceQuotaRecord | null>;
  /** Throws `QuotaExistsError` when the namespace has one already. */
  createQuota(
    namespaceId: number,
    limitBytes: number,
    nowMs: number,
  ): Promise<NamespaceQuotaRecord>;
  setQuotaLimitBytes(quotaId: number, limitBytes: number): Promise<void>;
  deleteQuota(quotaId: number): Promise<void>;
  /** Throws `QuotaLimitExistsError` for a duplicate type and threshold. */
  addLimit(
    quotaId: number,
    kind: QuotaLimitKind,
    thresholdPercent: number,
  ): Promise<QuotaLimitRecord>;
  updateLimit(quotaId: number, limit: QuotaLimitRecord): Promise<void>;
  deleteLimit(quotaId: number, limitId: number): Promise<boolean>;

  namespaceSize(namespaceId: number): Promise<ContentSize>;
  /** The Reject limit the namespace has reached, if any: no new upload or repository then. */
  uploadRejection(namespaceId: number): Promise<QuotaExceeded | null>;
  repositorySize(repositoryId: number): Promise<ContentSize>;
  /** Several repositories' sizes in one query (a page of a repository list). */
  repositorySizes(repositoryIds: number[]): Promise<Map<number, ContentSize>>;
  registrySize(): Promise<RegistrySize>;
  queueRegistrySize(): Promise<void>;

  /**
   * Counts up to `limit` repositories and then namespaces whose sizes are
   * not backfilled yet, each with its size row locked so no push counts
   * alongside; returns how many were counted.
   */
  backfill(limit: number): Promise<number>;
  /** Computes the registry's size if it was asked for; false when there was nothing to do. */
  computeRegistrySize(nowMs: number, staleAfterMs: number): Promise<boolean>;
  /** Sizes counted from scratch, to check the kept ones against. */
  recount(
    scope: { repositoryId: number } | { namespaceId: number } | 'everything',
  ): Promise<number>;
}
