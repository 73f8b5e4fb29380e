/**
 * The OCI Distribution grammar for names and references, in one place.
 * Routes, validators and tests all use these; never write these patterns twice.
 */

const pathComponent = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';

export const REPOSITORY_NAME = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
export const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** Digest syntax in general; which algorithms we accept is `digest.ts`'s business. */
export const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Distribution's limit; longer names break clients that build paths from them. */
export const MAX_REPOSITORY_NAME_LENGTH = 255;

export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_REPOSITORY_NAME_LENGTH && REPOSITORY_NAME.test(name);
}

export function isTag(reference: string): boolean {
  return TAG.test(reference);
}

export function looksLikeDigest(reference: string): boolean {
  return reference.includes(':');
}

/**
 * A repository name as namespace and the rest: `acme/team/app` is `acme` and
 * `team/app`; a one-component name has no namespace.
 */
export function splitRepositoryName(name: string): { namespace: string | null; shortName: string } {
  const slash = name.indexOf('/');
  return slash > 0
    ? { namespace: name.slice(0, slash), shortName: name.slice(slash + 1) }
    : { namespace: null, shortName: name.slice(slash + 1) };
}
