import { ociError } from '../errors/registry-error.js';
import type { QuotaExceeded } from '../ports/metadata-store.js';

/**
 * Quota limits as Quay defines them: a namespace quota of `limitBytes`,
 * with limits at a percentage of it. A Warning limit is reported when a
 * push crosses it; a Reject limit refuses any push that would cross it.
 */

export type QuotaLimitKind = 'Warning' | 'Reject';

export interface QuotaLimitRule {
  kind: QuotaLimitKind;
  thresholdPercent: number;
}

export interface NamespaceQuotaRules {
  limitBytes: number;
  limits: QuotaLimitRule[];
}

export interface GrowthVerdict {
  /** The Reject threshold the push would cross, in bytes; null when admitted. */
  rejectedAt: number | null;
  /** Warning thresholds, in bytes, that the push crosses. */
  warnings: number[];
}

export const thresholdBytes = (quota: NamespaceQuotaRules, percent: number): number =>
  Math.floor((quota.limitBytes * percent) / 100);

function thresholds(quota: NamespaceQuotaRules, kind: QuotaLimitKind): number[] {
  return quota.limits
    .filter((l) => l.kind === kind)
    .map((l) => thresholdBytes(quota, l.thresholdPercent));
}

/** Judges a push that takes the namespace from `beforeBytes` to `afterBytes`. */
export function judgeGrowth(
  quota: NamespaceQuotaRules,
  beforeBytes: number,
  afterBytes: number,
): GrowthVerdict {
  if (afterBytes <= beforeBytes) return { rejectedAt: null, warnings: [] };
  const crossed = (limit: number) => afterBytes > limit;
  const reject = thresholds(quota, 'Reject').filter(crossed);
  if (reject.length > 0) return { rejectedAt: Math.min(...reject), warnings: [] };
  return {
    rejectedAt: null,
    warnings: thresholds(quota, 'Warning').filter((t) => beforeBytes <= t && crossed(t)),
  };
}

/** A namespace at or over a Reject limit takes no new uploads at all. */
export function rejectsUploads(quota: NamespaceQuotaRules, sizeBytes: number): number | null {
  const reached = thresholds(quota, 'Reject').filter((t) => sizeBytes >= t);
  return reached.length > 0 ? Math.min(...reached) : null;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `10.0 GiB`, as Quay shows a quota. */
export function humanBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** The OCI error a refused push gets; clients show its message. */
export function quotaDenied(q: QuotaExceeded) {
  return ociError('DENIED', {
    message:
      `Quota has been exceeded on namespace ${q.namespace}: ` +
      `${humanBytes(q.sizeBytes + q.addedBytes)} would pass the reject limit of ` +
      `${humanBytes(q.thresholdBytes)} (quota ${humanBytes(q.limitBytes)})`,
    detail: {
      namespace: q.namespace,
      size_bytes: q.sizeBytes,
      added_bytes: q.addedBytes,
      threshold_bytes: q.thresholdBytes,
      limit_bytes: q.limitBytes,
    },
  });
}
