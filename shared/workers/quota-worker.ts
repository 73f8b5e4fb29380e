import type { Clock } from '../ports/clock.js';
import type { QuotaStore } from '../ports/quota-store.js';

export interface QuotaWorkerOptions {
  /** Sizes counted per transaction batch; the worker loops until none is left. */
  batchSize: number;
  /** A registry-size run still marked running after this long is taken to have died. */
  staleRunMs: number;
}

export const DEFAULT_QUOTA_WORKER: QuotaWorkerOptions = {
  batchSize: 100,
  staleRunMs: 60 * 60_000,
};

/**
 * Counts the sizes that predate the quota tables (or were reset after a
 * restore), then the registry's total if someone asked for it. Pushes and
 * garbage collection keep sizes current from then on; this never rescans
 * what is already counted.
 */
export async function runQuotaWorker(
  deps: { quota: QuotaStore; clock: Clock },
  options: QuotaWorkerOptions = DEFAULT_QUOTA_WORKER,
): Promise<number> {
  let counted = 0;
  for (;;) {
    const batch = await deps.quota.backfill(options.batchSize);
    counted += batch;
    if (batch < options.batchSize) break;
  }
  const registry = await deps.quota.computeRegistrySize(deps.clock.now(), options.staleRunMs);
  return counted + (registry ? 1 : 0);
}
