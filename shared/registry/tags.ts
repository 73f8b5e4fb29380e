import { ociError } from '../errors/registry-error.js';
import { isTag } from '../oci/grammar.js';
import { parseDigest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import type {
  LabelRecord,
  ManifestRecord,
  SetTagResult,
  TagEntry,
} from '../ports/metadata-store.js';
import { loadManifestBytes } from './manifest-bytes.js';
import type { RegistryDeps } from './registry-deps.js';
import { existingRepository } from './repositories.js';

const INDEX_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList]);

/** One image of a multi-architecture index, as its index describes it. */
export interface IndexEntry {
  digest: string;
  size: number;
  os: string | null;
  architecture: string | null;
  variant: string | null;
}

/** The images an index lists; an index the registry stored was validated, so this only reads. */
function indexEntries(content: Uint8Array): IndexEntry[] {
  const body = JSON.parse(Buffer.from(content).toString('utf8')) as {
    manifests?: {
      digest?: string;
      size?: number;
      platform?: { os?: string; architecture?: string; variant?: string };
    }[];
  };
  return (body.manifests ?? []).map((m) => ({
    digest: m.digest ?? '',
    size: m.size ?? 0,
    os: m.platform?.os ?? null,
    architecture: m.platform?.architecture ?? null,
    variant: m.platform?.variant ?? null,
  }));
}

function assertTag(tag: string): void {
  if (!isTag(tag))
    throw ociError('TAG_INVALID', { message: `invalid tag ${tag}`, detail: { tag } });
}

function assertDigest(digest: string): void {
  if (!parseDigest(digest)) throw ociError('DIGEST_INVALID', { detail: { digest } });
}

/**
 * Tags and manifests as the REST API manages them: history, moving a tag to
 * another manifest, expiry, restoring a deleted or moved tag within the
 * time-machine window, and manifest labels.
 */
export class TagService {
  constructor(private readonly deps: RegistryDeps) {}

  async list(
    name: string,
    q: {
      onlyActive: boolean;
      specificTag?: string | undefined;
      nameContains?: string | undefined;
      page: number;
      limit: number;
    },
  ): Promise<{ entries: TagEntry[]; hasMore: boolean }> {
    const repository = await existingRepository(this.deps, name);
    const rows = await this.deps.metadata.listTagEntries(repository.id, {
      onlyActive: q.onlyActive,
      nowMs: this.deps.clock.now(),
      offset: (q.page - 1) * q.limit,
      limit: q.limit + 1,
      ...(q.specificTag === undefined ? {} : { name: q.specificTag }),
      ...(q.nameContains === undefined ? {} : { nameContains: q.nameContains }),
    });
    return { entries: rows.slice(0, q.limit), hasMore: rows.length > q.limit };
  }

  /**
   * What a page of tags shows besides the tags themselves: their manifests'
   * labels, and the platforms each multi-architecture index holds, read
   * once per page rather than once per tag.
   */
  async describe(
    name: string,
    entries: TagEntry[],
  ): Promise<{ labels: Map<string, LabelRecord[]>; platforms: Map<string, IndexEntry[]> }> {
    const repository = await existingRepository(this.deps, name);
    const digests = [...new Set(entries.map((e) => e.manifestDigest))];
    const labels = await this.deps.metadata.listLabelsByDigest(repository.id, digests);
    const platforms = new Map<string, IndexEntry[]>();
    const indexes = digests.filter((d) =>
      entries.some((e) => e.manifestDigest === d && INDEX_TYPES.has(e.mediaType)),
    );
    for (const digest of indexes) {
      const manifest = await this.deps.metadata.findManifest(repository.id, digest);
      if (manifest)
        platforms.set(digest, indexEntries(await loadManifestBytes(this.deps, manifest)));
    }
    return { labels, platforms };
  }

  async move(
    name: string,
    tag: string,
    manifestDigest: string,
    options: { revive?: boolean } = {},
  ): Promise<SetTagResult> {
    assertTag(tag);
    assertDigest(manifestDigest);
    const repository = await existingRepository(this.deps, name);
    const result = await this.deps.metadata.setTag(
      repository.id,
      tag,
      manifestDigest,
      this.deps.clock.now(),
      options,
    );
    if (result === 'no-manifest') {
      throw ociError('MANIFEST_UNKNOWN', { detail: { digest: manifestDigest } });
    }
    return result;
  }

  async delete(name: string, tag: string): Promise<void> {
    const repository = await existingRepository(this.deps, name);
    if (!(await this.deps.metadata.deleteTag(repository.id, tag, this.deps.clock.now()))) {
      throw ociError('MANIFEST_UNKNOWN', { message: `no tag ${tag}`, detail: { tag } });
    }
  }

  /** Sets when a live tag stops resolving; null clears the expiry. */
  async expire(name: string, tag: string, expiresAtMs: number | null): Promise<void> {
    const repository = await existingRepository(this.deps, name);
    const now = this.deps.clock.now();
    if (expiresAtMs !== null && expiresAtMs <= now) {
      throw ociError('UNSUPPORTED', {
        status: 400,
        message: 'the expiration must be in the future',
      });
    }
    if (!(await this.deps.metadata.setTagExpiration(repository.id, tag, expiresAtMs, now))) {
      throw ociError('MANIFEST_UNKNOWN', { message: `no tag ${tag}`, detail: { tag } });
    }
  }

  /**
   * Points the tag back at a manifest it pointed at before, if that lifetime
   * ended within the time-machine window and the manifest is still there.
   */
  async restore(name: string, tag: string, manifestDigest: string): Promise<void> {
    assertTag(tag);
    assertDigest(manifestDigest);
    const repository = await existingRepository(this.deps, name);
    const now = this.deps.clock.now();
    // The namespace's own window, as garbage collection keeps it, else the registry's.
    const window =
      (await this.deps.metadata.timeMachineWindowMs(repository.id)) ??
      this.deps.options.timeMachineMs;
    const windowStart = now - window;
    const history = await this.deps.metadata.tagHistory(repository.id, tag);
    const restorable = history.some(
      (h) =>
        h.manifestDigest === manifestDigest &&
        h.endMs !== null &&
        h.endMs <= now &&
        h.endMs >= windowStart,
    );
    if (!restorable) {
      throw ociError('MANIFEST_UNKNOWN', {
        message: `tag ${tag} did not point at ${manifestDigest} within the time-machine window`,
      });
    }
    // A manifest deleted by digest stays until collected after the window: it comes back too.
    await this.move(name, tag, manifestDigest, { revive: true });
  }

  async manifest(
    name: string,
    digest: string,
  ): Promise<{ manifest: ManifestRecord; content: Uint8Array; labels: LabelRecord[] }> {
    assertDigest(digest);
    const repository = await existingRepository(this.deps, name);
    const manifest = await this.deps.metadata.findManifest(repository.id, digest);
    if (!manifest) throw ociError('MANIFEST_UNKNOWN', { detail: { digest } });
    const content = await loadManifestBytes(this.deps, manifest);
    return { manifest, content, labels: await this.deps.metadata.listLabels(manifest.id) };
  }

  async addLabel(
    name: string,
    digest: string,
    label: { key: string; value: string; mediaType: string },
  ): Promise<LabelRecord> {
    const { manifest } = await this.manifest(name, digest);
    const record: LabelRecord = { id: this.deps.newId(), ...label, sourceType: 'api' };
    await this.deps.metadata.addLabel(manifest.id, record, this.deps.clock.now());
    return record;
  }

  async deleteLabel(name: string, digest: string, labelId: string): Promise<LabelRecord> {
    const { manifest, labels } = await this.manifest(name, digest);
    const label = labels.find((l) => l.id === labelId);
    if (!label || !(await this.deps.metadata.deleteLabel(manifest.id, labelId))) {
      throw ociError('UNSUPPORTED', { status: 404, message: `no label ${labelId}` });
    }
    return label;
  }
}
