import { parseManifest } from '../oci/manifest.js';
import type { ByteSource } from '../ports/blob-store.js';
import type { UpstreamManifest, UpstreamRegistry } from '../ports/upstream-registry.js';
import { existingRepository } from '../registry/repositories.js';
import type { Registry } from '../registry/registry.js';

async function* once(bytes: Uint8Array): ByteSource {
  yield bytes;
}

/**
 * Copies one upstream tag into the repository, digests unchanged: each
 * blob streamed through a normal upload (so its digest is verified and
 * quotas apply) unless the registry already has it, each child of an index
 * before the index, and the tag last. Returns whether the tag moved.
 */
export async function copyImage(
  registry: Registry,
  upstream: UpstreamRegistry,
  repositoryName: string,
  tag: string,
  /** Who the copy is pushed as: the mirror's robot. */
  performer: { id: number; name: string } | null = null,
): Promise<boolean> {
  const metadata = registry.deps.metadata;
  const repository = await existingRepository(registry.deps, repositoryName);
  const top = await upstream.manifest(tag);
  const current = await metadata.resolveTag(repository.id, tag, registry.deps.clock.now());
  if (current?.digest === top.digest) return false;

  const copyBlob = async (digest: string) => {
    if (await metadata.findRepositoryBlob(repository.id, digest)) return;
    // Already in the registry under another repository: link it, move no bytes.
    if (await metadata.linkBlob(repository.id, digest, registry.deps.clock.now())) return;
    await registry.uploads.uploadMonolithic(repositoryName, digest, await upstream.blob(digest));
  };
  const copyManifest = async (manifest: UpstreamManifest, reference: string) => {
    const parsed = parseManifest(manifest.content, manifest.mediaType);
    for (const child of parsed.children) {
      if (await metadata.findManifest(repository.id, child.digest)) continue;
      await copyManifest(await upstream.manifest(child.digest), child.digest);
    }
    for (const blob of parsed.blobs) await copyBlob(blob.digest);
    await registry.manifests.put(
      repositoryName,
      reference,
      manifest.mediaType,
      once(manifest.content),
      performer,
    );
  };
  await copyManifest(top, tag);
  return true;
}
