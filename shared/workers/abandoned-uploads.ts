import type { RegistryDeps } from '../registry/registry-deps.js';

export interface AbandonedUploadsOptions {
  /** Sessions untouched this long are abandoned (a day, as in Quay's and Distribution's purging). */
  maxAgeMs: number;
  /** How many to remove per pass; the next pass takes the rest. */
  batchSize: number;
}

export const DEFAULT_ABANDONED_UPLOADS: AbandonedUploadsOptions = {
  maxAgeMs: 24 * 60 * 60 * 1000,
  batchSize: 500,
};

/**
 * Removes upload sessions nobody finished or cancelled, in the storage
 * locations this server writes (each region cleans its own bucket). Each is claimed
 * first, only if still untouched, so a client that comes back to it at
 * that moment is never robbed; then its staged bytes go, then the row, so a
 * crash between the two leaves a row that the next pass finds again rather
 * than bytes nothing points at.
 */
export async function removeAbandonedUploads(
  deps: Pick<RegistryDeps, 'metadata' | 'storage' | 'clock' | 'newId' | 'options'>,
  options: AbandonedUploadsOptions = DEFAULT_ABANDONED_UPLOADS,
): Promise<number> {
  const before = deps.clock.now() - options.maxAgeMs;
  let removed = 0;
  for (const location of deps.storage.writes) {
    const stale = await deps.metadata.listStaleUploads(location, before, options.batchSize);
    for (const upload of stale) {
      const nowMs = deps.clock.now();
      const claim = { token: deps.newId(), nowMs, untilMs: nowMs + deps.options.uploadClaimMs };
      const claimed = await deps.metadata.claimUpload(
        upload.repositoryId,
        upload.id,
        claim,
        before,
      );
      if (claimed?.kind !== 'claimed') continue;
      await deps.storage.get(location).abortUpload(upload.id, claimed.upload.state);
      if (await deps.metadata.deleteUpload(upload.id, claim.token)) removed += 1;
    }
  }
  return removed;
}
