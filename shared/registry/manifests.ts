import { ociError } from '../errors/registry-error.js';
import { digestOf, parseDigest } from '../oci/digest.js';
import { isTag, looksLikeDigest } from '../oci/grammar.js';
import { MAX_MANIFEST_BYTES, parseManifest, type ParsedManifest } from '../oci/manifest.js';
import type { ByteSource } from '../ports/blob-store.js';
import { TagImmutableError } from '../ports/errors.js';
import type { ManifestRecord, RepositoryRecord } from '../ports/metadata-store.js';
import { ExpiresAfterLabels } from './expires-after.js';
import { INLINE_MANIFEST_BYTES, loadManifestBytes, storeManifestBytes } from './manifest-bytes.js';
import { quotaDenied } from './quota-policy.js';
import type { RegistryDeps } from './registry-deps.js';
import {
  assertDeletionEnabled,
  assertRepositoryName,
  existingRepository,
  repositoryForPush,
} from './repositories.js';

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string };

export function parseReference(reference: string): Reference {
  if (looksLikeDigest(reference)) {
    if (!parseDigest(reference)) throw ociError('DIGEST_INVALID', { detail: { reference } });
    return { kind: 'digest', digest: reference };
  }
  if (!isTag(reference)) {
    throw ociError('MANIFEST_INVALID', {
      message: 'reference is neither a valid tag nor a digest',
      detail: { reference },
    });
  }
  return { kind: 'tag', tag: reference };
}

/** What a pull of the image downloads besides its config; an index has no size of its own. */
function imageLayersSize(manifest: ParsedManifest): number | null {
  if (manifest.kind === 'index') return null;
  return manifest.blobs
    .filter((b) => b.digest !== manifest.config?.digest)
    .reduce((sum, b) => sum + b.size, 0);
}

/**
 * A reference to read or delete by: one that is no valid tag names no
 * manifest, so it is unknown (404), as CNCF distribution answers; only a
 * push to it is invalid input.
 */
function lookupReference(reference: string): Reference {
  if (!looksLikeDigest(reference) && !isTag(reference)) {
    throw ociError('MANIFEST_UNKNOWN', { detail: { reference } });
  }
  return parseReference(reference);
}

/** Reads a manifest body, refusing (413) as soon as it passes the limit rather than buffering more. */
async function readManifestBody(data: ByteSource): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of data) {
    length += chunk.byteLength;
    if (length > MAX_MANIFEST_BYTES) {
      throw ociError('SIZE_INVALID', {
        status: 413,
        message: `manifest is larger than the ${MAX_MANIFEST_BYTES}-byte limit`,
      });
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

export interface StoredManifest {
  digest: string;
  subjectDigest: string | null;
}

export class ManifestService {
  constructor(
    private readonly deps: RegistryDeps,
    private readonly expiresAfter = new ExpiresAfterLabels(deps),
  ) {}

  async put(
    name: string,
    reference: string,
    contentType: string,
    data: ByteSource,
    /** Who pushes, for the `repo_push` event; null when anonymous or unknown. */
    pusher: { id: number; name: string } | null = null,
    /** The repository as the permission check just read it. */
    known?: RepositoryRecord | null,
  ): Promise<StoredManifest> {
    assertRepositoryName(name);
    const ref = parseReference(reference);
    const content = await readManifestBody(data);
    const manifest = parseManifest(content, contentType);
    const algorithm = ref.kind === 'digest' ? parseDigest(ref.digest)!.algorithm : 'sha256';
    const digest = digestOf(content, algorithm);
    if (ref.kind === 'digest' && ref.digest !== digest) {
      throw ociError('DIGEST_INVALID', { detail: { expected: ref.digest, actual: digest } });
    }
    const repository = await repositoryForPush(this.deps, name, known);
    const inline = content.byteLength <= INLINE_MANIFEST_BYTES;
    // Written before the row, so a stored manifest never lacks its bytes.
    if (!inline) await storeManifestBytes(this.deps, repository.id, digest, content);
    const blobDigests = manifest.blobs.map((b) => b.digest);
    const now = this.deps.clock.now();
    const result = await this.deps.metadata.putManifest({
      repositoryId: repository.id,
      digest,
      mediaType: manifest.mediaType,
      size: content.byteLength,
      layersSize: imageLayersSize(manifest),
      content: inline ? content : null,
      artifactType: manifest.artifactType ?? null,
      subjectDigest: manifest.subject?.digest ?? null,
      annotations: manifest.annotations ?? null,
      blobDigests: inline ? blobDigests : [...blobDigests, digest],
      childDigests: manifest.children.map((c) => c.digest),
      tag: ref.kind === 'tag' ? ref.tag : null,
      pushed: { repository: name, performer: pusher },
      nowMs: now,
    });
    // A push by tag records repo_push, a refusal may record quota_error: work for the notifier.
    const recordedEvent = result.stored ? ref.kind === 'tag' : 'quotaExceeded' in result;
    const deliveries = 'deliveries' in result ? result.deliveries : 0;
    if (deliveries > 0 || (recordedEvent && this.deps.options.publishesEvents)) {
      await this.deps.wakeups.wakeAt('notifications', now);
    }
    if (!result.stored && 'quotaExceeded' in result) throw quotaDenied(result.quotaExceeded);
    if (!result.stored) {
      const missing = [...result.missingManifests, ...result.missingBlobs];
      throw ociError('MANIFEST_BLOB_UNKNOWN', {
        message: `manifest references ${missing.length} blob(s) or manifest(s) not in the repository`,
        detail: { missingBlobs: result.missingBlobs, missingManifests: result.missingManifests },
      });
    }
    if (ref.kind === 'tag' && manifest.config) {
      // The config is in the repository now: the push just proved it.
      const ttl = await this.expiresAfter.of(manifest.config);
      if (ttl !== null) {
        await this.deps.metadata
          .setTagExpiration(repository.id, ref.tag, now + ttl, now)
          .catch((error: unknown) => {
            // An immutable tag does not expire: the label is ignored, the push stands.
            if (!(error instanceof TagImmutableError)) throw error;
          });
      }
    }
    return { digest, subjectDigest: manifest.subject?.digest ?? null };
  }

  /** The manifest with its bytes, wherever they are kept. */
  async getWithContent(
    name: string,
    reference: string,
  ): Promise<ManifestRecord & { content: Uint8Array }> {
    const manifest = await this.get(name, reference);
    return { ...manifest, content: await loadManifestBytes(this.deps, manifest) };
  }

  async get(name: string, reference: string): Promise<ManifestRecord> {
    const repository = await existingRepository(this.deps, name);
    const ref = lookupReference(reference);
    const manifest =
      ref.kind === 'digest'
        ? await this.deps.metadata.findManifest(repository.id, ref.digest)
        : await this.deps.metadata.resolveTag(repository.id, ref.tag, this.deps.clock.now());
    if (!manifest) throw ociError('MANIFEST_UNKNOWN', { detail: { reference } });
    return manifest;
  }

  /** By digest: deletes the manifest and ends its tags. By tag: ends just that tag. */
  async delete(name: string, reference: string): Promise<void> {
    assertDeletionEnabled(this.deps);
    const repository = await existingRepository(this.deps, name);
    const ref = lookupReference(reference);
    const now = this.deps.clock.now();
    const deleted =
      ref.kind === 'digest'
        ? await this.deps.metadata.deleteManifest(repository.id, ref.digest, now)
        : await this.deps.metadata.deleteTag(repository.id, ref.tag, now);
    if (!deleted) throw ociError('MANIFEST_UNKNOWN', { detail: { reference } });
  }
}
