import type { RegistryDeps } from './registry-deps.js';

/**
 * The whole bytes of a small blob (a large manifest, an image config), from
 * the first storage location that holds it; null if none does. Callers bound
 * the size first: this is the one place a blob is read into memory.
 */
export async function readSmallBlob(
  deps: RegistryDeps,
  digest: string,
): Promise<Uint8Array | null> {
  const blob = await deps.metadata.findBlob(digest);
  const location = blob && deps.storage.choose(blob);
  if (!location) return null;
  return new Uint8Array(await new Response(await location.store.read(location.ref)).arrayBuffer());
}
