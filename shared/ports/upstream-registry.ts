import type { ByteSource } from './blob-store.js';
import type { ProxySettings } from './mirror-store.js';

/** A registry the mirror worker pulls from, spoken to over the Distribution API. */

export interface UpstreamTarget {
  /** The registry's host as written in the reference (`quay.io`, `127.0.0.1:5000`). */
  host: string;
  /** The repository's path on that registry (`library/alpine`). */
  repository: string;
  credentials: { username: string; password: string } | null;
  /** False: certificates go unchecked and plain HTTP is tried when TLS fails, as skopeo does. */
  verifyTls: boolean;
  proxy: ProxySettings | null;
}

export interface UpstreamManifest {
  /** Computed from the bytes, never taken from a header. */
  digest: string;
  mediaType: string;
  content: Uint8Array;
}

export interface UpstreamRegistry {
  /** Every tag of the repository, across pages. */
  listTags(): Promise<string[]>;
  /** A manifest by tag or digest; by digest, the bytes are checked against it. */
  manifest(reference: string): Promise<UpstreamManifest>;
  /** A blob's bytes as they stream in; the caller verifies the digest. */
  blob(digest: string): Promise<ByteSource>;
  close(): Promise<void>;
}

export interface UpstreamConnector {
  /** Why the host may not be reached (it resolves to a private address, say), or null. */
  refusal(host: string): Promise<string | null>;
  connect(target: UpstreamTarget): UpstreamRegistry;
}

/** Anything that went wrong talking to the upstream, in words an administrator can act on. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}
