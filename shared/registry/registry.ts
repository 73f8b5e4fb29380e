import { BlobService } from './blobs.js';
import { ExpiresAfterLabels } from './expires-after.js';
import { ListingService } from './listings.js';
import { ManifestService } from './manifests.js';
import type { RegistryDeps } from './registry-deps.js';
import { TagService } from './tags.js';
import { UploadService } from './uploads.js';

/** The registry core: what `/v2` does, with no knowledge of HTTP or storage technology. */
export interface Registry {
  readonly deps: RegistryDeps;
  readonly uploads: UploadService;
  readonly blobs: BlobService;
  readonly manifests: ManifestService;
  readonly listings: ListingService;
  readonly tags: TagService;
}

export function createRegistry(deps: RegistryDeps): Registry {
  // Uploads teach it what configs say; manifest pushes ask it.
  const labels = new ExpiresAfterLabels(deps);
  return {
    deps,
    uploads: new UploadService(deps, labels),
    blobs: new BlobService(deps),
    manifests: new ManifestService(deps, labels),
    listings: new ListingService(deps),
    tags: new TagService(deps),
  };
}
