import { z } from '@hono/zod-openapi';
import type { QuotaReport, RepositoryQuotaReport } from '../../access/quotas.js';
import type { NamespaceQuotaRecord, QuotaLimitRecord } from '../../ports/quota-store.js';
import { humanBytes } from '../../registry/quota-policy.js';

export const LimitView = z.object({
  id: z.number().int(),
  type: z.enum(['Warning', 'Reject']),
  limit_percent: z.number().int(),
});
export const QuotaView = z.object({
  id: z.number().int(),
  limit_bytes: z.number().int(),
  limit: z.string().openapi({ example: '10.0 GiB' }),
  default_config: z.boolean(),
  limits: z.array(LimitView),
  default_config_exists: z.boolean(),
});
export const limitView = (l: QuotaLimitRecord) => ({
  id: l.id,
  type: l.kind,
  limit_percent: l.thresholdPercent,
});
export const quotaView = (q: NamespaceQuotaRecord) => ({
  id: q.id,
  limit_bytes: q.limitBytes,
  limit: humanBytes(q.limitBytes),
  default_config: false,
  limits: q.limits.map(limitView),
  default_config_exists: false,
});

/** Quay's namespace `quota_report`, in the organization and user views. */
export const NamespaceQuotaReportView = z
  .object({
    quota_bytes: z.number().int().openapi({ description: 'the bytes the namespace holds' }),
    configured_quota: z.number().int().nullable(),
    running_backfill: z.enum(['waiting', 'complete']),
    backfill_status: z.enum(['waiting', 'complete']),
  })
  .openapi('QuotaReport');

/** Quay's repository `quota_report`: what the repository holds, against its namespace's quota. */
export const RepositoryQuotaReportView = z
  .object({
    quota_bytes: z.number().int(),
    configured_quota: z.number().int().nullable(),
  })
  .openapi('RepositoryQuotaReport');

export function namespaceQuotaReportView(report: QuotaReport) {
  const status = report.backfilled ? ('complete' as const) : ('waiting' as const);
  return {
    quota_bytes: report.quotaBytes,
    configured_quota: report.configuredQuota,
    running_backfill: status,
    backfill_status: status,
  };
}

export const repositoryQuotaReportView = (report: RepositoryQuotaReport) => ({
  quota_bytes: report.quotaBytes,
  configured_quota: report.configuredQuota,
});
