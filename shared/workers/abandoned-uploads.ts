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
 * Removes upload sessions nobody finished or cancelled, in the preferred
 * storage location (each region cleans its own bucket): their staged bytes
 * first, then the row, so a crash between the two leaves a row that the
 * next pass finds again rather than bytes nothing points at.
 */
export async function removeAbandonedUploads(
  deps: Pick<RegistryDeps, 'metadata' | 'storage' | 'clock'>,
  options: AbandonedUploadsOptions = DEFAULT_ABANDONED_UPLOADS,
): Promise<number> {
  const location = deps.storage.preferred;
  const stale = await deps.metadata.listStaleUploads(
    location,
    deps.clock.now() - options.maxAgeMs,
    options.batchSize,
  );
  for (const upload of stale) {
    await deps.storage.get(location).abortUpload(upload.id);
    await deps.metadata.deleteUpload(upload.id);
  }
  return stale.length;
}
