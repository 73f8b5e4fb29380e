import { isRepositoryName } from '../oci/grammar.js';
import type { ProxySettings } from '../ports/mirror-store.js';

export interface ExternalReference {
  /** Where the registry API answers: `registry-1.docker.io` for `docker.io`. */
  host: string;
  repository: string;
}

const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;

/**
 * A mirror's `external_reference` as Quay takes it: `host[:port]/path`,
 * no scheme and no tag. The first component must look like a host (a dot,
 * a port or `localhost`), as Docker decides it; Docker Hub's short names
 * get their `library/` prefix.
 */
export function parseExternalReference(value: string): ExternalReference | string {
  const trimmed = value.trim();
  if (/^[a-z]+:\/\//i.test(trimmed)) return 'external_reference takes no scheme: host/path';
  const slash = trimmed.indexOf('/');
  if (slash <= 0) return 'external_reference must be host/path, for example quay.io/org/repo';
  const host = trimmed.slice(0, slash);
  let repository = trimmed.slice(slash + 1);
  if (!HOST.test(host) || !(host.includes('.') || host.includes(':') || host === 'localhost')) {
    return `${host} is not a registry host (it needs a dot, a port, or to be localhost)`;
  }
  if (repository.includes('@') || /:[^/]*$/.test(repository)) {
    return 'external_reference names a repository, not a tag or digest: the rules choose the tags';
  }
  if (!isRepositoryName(repository)) return `${repository} is not a valid repository name`;
  const dockerHub = host === 'docker.io' || host === 'index.docker.io';
  if (dockerHub && !repository.includes('/')) repository = `library/${repository}`;
  return { host: dockerHub ? 'registry-1.docker.io' : host.toLowerCase(), repository };
}

/** The host without its port or IPv6 brackets: what DNS is asked about. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  // A bare IPv6 address has colons of its own and no port.
  if (host.indexOf(':') !== host.lastIndexOf(':')) return host;
  const colon = host.lastIndexOf(':');
  return colon > 0 ? host.slice(0, colon) : host;
}

/** The hosts of a mirror's proxies: they are reached too, so they are checked like the upstream. */
export function proxyHosts(mirror: { proxy: ProxySettings | null }): string[] {
  return [mirror.proxy?.http_proxy, mirror.proxy?.https_proxy]
    .filter((p): p is string => Boolean(p))
    .map((p) => hostnameOf(new URL(p.includes('://') ? p : `http://${p}`).host));
}
