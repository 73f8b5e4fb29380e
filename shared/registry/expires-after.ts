import type { Descriptor } from '../oci/manifest.js';
import { BoundedMemo } from './bounded-memo.js';
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

/** How many configs' labels one process remembers. */
const REMEMBERED_CONFIGS = 10_000;

/** Blobs up to this size are looked at as they arrive whole, in case they are an image config. */
export const LEARNED_BLOB_BYTES = 64 * 1024;

const OPEN_BRACE = 0x7b;

/**
 * The `quay.expires-after` duration of images, from their configs' labels,
 * in milliseconds; null when there is none or it is not a valid duration.
 * A config's digest names its bytes, so what one says never changes: each
 * is read once, not on every push of a tag to it.
 */
export class ExpiresAfterLabels {
  private readonly known = new BoundedMemo<number | null>(REMEMBERED_CONFIGS);

  constructor(private readonly deps: RegistryDeps) {}

  /**
   * Remembers what a blob that just arrived whole in this process says, so
   * the push of its manifest need not read it back. Only JSON objects can
   * be configs; anything else is not remembered.
   */
  learn(digest: string, bytes: Uint8Array): void {
    if (bytes.byteLength > MAX_CONFIG_BYTES || firstNonSpace(bytes) !== OPEN_BRACE) return;
    this.known.set(digest, labelledDuration(bytes));
  }

  async of(config: Descriptor): Promise<number | null> {
    if (!CONFIG_TYPES.has(config.mediaType) || config.size > MAX_CONFIG_BYTES) return null;
    const remembered = this.known.get(config.digest);
    if (remembered !== undefined) return remembered;
    const bytes = await readSmallBlob(this.deps, config.digest);
    // Not stored (yet) is no answer: the next push asks again.
    if (!bytes) return null;
    const ttl = labelledDuration(bytes);
    this.known.set(config.digest, ttl);
    return ttl;
  }
}

function labelledDuration(bytes: Uint8Array): number | null {
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

function firstNonSpace(bytes: Uint8Array): number | undefined {
  return bytes.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
}

/** The bytes of a blob as they stream in, kept only while they stay within `limit`. */
export class LeadingBytes {
  private chunks: Uint8Array[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Uint8Array): void {
    if (this.size > this.limit) return;
    this.size += chunk.byteLength;
    // Copied: a body's chunks may be views its reader reuses.
    if (this.size <= this.limit) this.chunks.push(chunk.slice());
    else this.chunks = [];
  }

  /** All the bytes, or null if there were more than the limit. */
  all(): Uint8Array | null {
    return this.size > this.limit ? null : Buffer.concat(this.chunks, this.size);
  }
}
