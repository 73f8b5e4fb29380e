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
  known?: RepositoryRecord | null,
): Promise<RepositoryRecord> {
  assertRepositoryName(name);
  const repository = sameRepository(name, known) ?? (await deps.metadata.findRepository(name));
  if (!repository) throw ociError('NAME_UNKNOWN', { detail: { name } });
  return repository;
}

/** The repository, created on first push where the registry creates them (see `createsRepositories`). */
export async function repositoryForPush(
  deps: RegistryDeps,
  name: string,
  known?: RepositoryRecord | null,
): Promise<RepositoryRecord> {
  if (!deps.options.createsRepositories) return existingRepository(deps, name, known);
  assertRepositoryName(name);
  return sameRepository(name, known) ?? deps.metadata.ensureRepository(name, deps.clock.now());
}

/**
 * The row the request's permission check just read, when it is the one
 * named: reading it again would only widen the same race (a repository
 * deleted after it was read), which the writes that follow settle.
 */
export function sameRepository(
  name: string,
  known: RepositoryRecord | null | undefined,
): RepositoryRecord | null {
  return known?.name === name ? { id: known.id, name: known.name } : null;
}

export function assertDeletionEnabled(deps: RegistryDeps): void {
  if (!deps.options.deletionEnabled) {
    throw ociError('UNSUPPORTED', { message: 'deletion is disabled on this registry' });
  }
}
