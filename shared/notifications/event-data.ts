import { splitRepositoryName } from '../oci/grammar.js';

/**
 * The data an event carries to its notifications, in Quay's shape
 * (`build_repository_event_data` and `build_namespace_event_data`). It is
 * recorded with the event; the URLs that name the registry's host are
 * added when it is sent, by whichever server sends it.
 */
export function repositoryEventData(
  fullName: string,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const { namespace, shortName } = splitRepositoryName(fullName);
  return { repository: fullName, namespace: namespace ?? '', name: shortName, ...extra };
}

export function namespaceEventData(
  namespace: string,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return { namespace, ...extra };
}

/** Where the registry is reached, for the URLs in event data. */
export interface PublicAddress {
  /** `https` or `http`. */
  scheme: string;
  /** `host[:port]`, as clients pull from it. */
  host: string;
}

/**
 * Adds Quay's `docker_url` (what to pull) and `homepage` (the repository's,
 * or the organization's, page) to event data.
 */
export function withUrls(
  data: Record<string, unknown>,
  address: PublicAddress,
  /** A repository event; a namespace event's homepage is its organization's. */
  ofRepository: boolean,
): Record<string, unknown> {
  const base = `${address.scheme}://${address.host}`;
  if (ofRepository && typeof data.repository === 'string') {
    return {
      ...data,
      docker_url: `${address.host}/${data.repository}`,
      homepage: `${base}/repository/${data.repository}`,
    };
  }
  return { ...data, homepage: `${base}/organization/${String(data.namespace ?? '')}` };
}
