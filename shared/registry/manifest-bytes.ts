import type { ManifestRecord } from '../ports/metadata-store.js';
import type { RegistryDeps } from './registry-deps.js';
import { readSmallBlob } from './small-blobs.js';

/**
 * Manifests up to this size keep their bytes in the metadata row; larger ones
 * are stored as a blob under their own digest. The RDS Data API returns at
 * most 64 KB per row, and a manifest may be 4 MiB.
 */
export const INLINE_MANIFEST_BYTES = 32 * 1024;

/** Writes a large manifest's bytes to the best writable storage location as the blob `digest`. */
export async function storeManifestBytes(
  deps: RegistryDeps,
  repositoryId: number,
  digest: string,
  content: Uint8Array,
): Promise<void> {
  const [location = deps.storage.preferred] = await deps.storage.writable();
  const store = deps.storage.get(location);
  // Touched first: a garbage collection of these bytes finishes before the
  // check below, or spares them (see touchBlob).
  await deps.metadata.touchBlob({ digest, size: content.byteLength }, deps.clock.now());
  const known = await deps.metadata.findBlob(digest);
  const placed = known?.placements.find((p) => p.location === location);
  if (!placed) await store.writeBlob(digest, content);
  await deps.metadata.recordBlob(
    repositoryId,
    { digest, size: content.byteLength, location, key: placed?.key ?? null },
    deps.clock.now(),
  );
  await deps.replicationNudge?.poke();
}

/** The manifest's bytes, from its row or from blob storage. */
export async function loadManifestBytes(
  deps: RegistryDeps,
  manifest: ManifestRecord,
): Promise<Uint8Array> {
  if (manifest.content) return manifest.content;
  // Bounded by the 4 MiB manifest limit, so reading it whole is fine.
  const bytes = await readSmallBlob(deps, manifest.digest);
  if (!bytes) throw new Error(`manifest ${manifest.digest} has no bytes in any storage`);
  return bytes;
}
