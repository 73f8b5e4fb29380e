import type { Descriptor } from '../oci/manifest.js';
import { parseDuration } from './durations.js';
import type { RegistryDeps } from './registry-deps.js';
import { readSmallBlob } from './small-blobs.js';

/** Quay's image label: a tag pushed with it expires that long after the push (`2w`, `12h`). */
export const EXPIRES_AFTER_LABEL = 'quay.expires-after';

/** Image configs are small JSON; anything larger is not read for a label. */
const MAX_CONFIG_BYTES = 1024 * 1024;

const CONFIG_TYPES = new Set<string>([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

/**
 * The `quay.expires-after` duration of an image, from its config's labels,
 * in milliseconds; null when there is none or it is not a valid duration.
 */
export async function expiresAfter(deps: RegistryDeps, config: Descriptor): Promise<number | null> {
  if (!CONFIG_TYPES.has(config.mediaType) || config.size > MAX_CONFIG_BYTES) return null;
  const bytes = await readSmallBlob(deps, config.digest);
  if (!bytes) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return null;
  }
  const labels = (parsed as { config?: { Labels?: Record<string, unknown> } } | null)?.config
    ?.Labels;
  const value = labels?.[EXPIRES_AFTER_LABEL];
  return typeof value === 'string' ? parseDuration(value) : null;
}
