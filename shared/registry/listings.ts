import { ociError } from '../errors/registry-error.js';
import { parseDigest } from '../oci/digest.js';
import type { Descriptor } from '../oci/manifest.js';
import type { RegistryDeps } from './registry-deps.js';
import { existingRepository } from './repositories.js';
import { paginate, type PageOf, type PageRequest } from './paging.js';

export class ListingService {
  constructor(private readonly deps: RegistryDeps) {}

  async tags(name: string, page: PageRequest): Promise<PageOf<string>> {
    const repository = await existingRepository(this.deps, name);
    return paginate(
      page,
      (limit, after) =>
        this.deps.metadata.listTags(
          repository.id,
          after === undefined ? { limit } : { limit, after },
          this.deps.clock.now(),
        ),
      this.deps.options.metadataRowsPerQuery,
    );
  }

  async catalog(page: PageRequest): Promise<PageOf<string>> {
    return paginate(
      page,
      (limit, after) =>
        this.deps.metadata.listRepositories(after === undefined ? { limit } : { limit, after }),
      this.deps.options.metadataRowsPerQuery,
    );
  }

  /** Manifests whose `subject` is `digest`, as descriptors for the referrers index. */
  async referrers(name: string, digest: string, artifactType?: string): Promise<Descriptor[]> {
    const repository = await existingRepository(this.deps, name);
    if (!parseDigest(digest)) throw ociError('DIGEST_INVALID', { detail: { digest } });
    const rows = await this.deps.metadata.listReferrers(repository.id, digest, artifactType);
    return rows.map((row) => {
      const descriptor: Descriptor = {
        mediaType: row.mediaType,
        digest: row.digest,
        size: row.size,
      };
      if (row.artifactType) descriptor.artifactType = row.artifactType;
      if (row.annotations && Object.keys(row.annotations).length > 0) {
        descriptor.annotations = row.annotations;
      }
      return descriptor;
    });
  }
}
