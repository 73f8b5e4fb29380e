import { ociError } from '../errors/registry-error.js';
import { isRepositoryName } from '../oci/grammar.js';
import type { RepositoryRecord } from '../ports/metadata-store.js';
import type { RegistryDeps } from './registry-deps.js';

export function assertRepositoryName(name: string): void {
  if (!isRepositoryName(name)) throw ociError('NAME_INVALID', { detail: { name } });
}

/** The repository, or `NAME_UNKNOWN`. */
export async function existingRepository(
  deps: RegistryDeps,
  name: string,
): Promise<RepositoryRecord> {
  assertRepositoryName(name);
  const repository = await deps.metadata.findRepository(name);
  if (!repository) throw ociError('NAME_UNKNOWN', { detail: { name } });
  return repository;
}

/** The repository, created on first push where the registry creates them (see `createsRepositories`). */
export async function repositoryForPush(
  deps: RegistryDeps,
  name: string,
): Promise<RepositoryRecord> {
  if (!deps.options.createsRepositories) return existingRepository(deps, name);
  assertRepositoryName(name);
  return deps.metadata.ensureRepository(name, deps.clock.now());
}

export function assertDeletionEnabled(deps: RegistryDeps): void {
  if (!deps.options.deletionEnabled) {
    throw ociError('UNSUPPORTED', { message: 'deletion is disabled on this registry' });
  }
}
