import type { QueryClient } from '@tanstack/react-query';
import { repositoryQuery, tagsQuery } from './repository';

/**
 * What the page the browser opened will ask for, asked for at once: while
 * the screen's code is still loading, not after. A repository's page
 * needs the repository and, on its Tags tab, the first page of tags.
 */
export function prefetchFor(queries: QueryClient, location: { pathname: string; search: string }) {
  const match = /^\/repository\/([^/]+)\/(.+?)\/?$/.exec(location.pathname);
  if (!match) return;
  const [, namespace, name] = match as unknown as [string, string, string];
  const search = new URLSearchParams(location.search);
  void queries.prefetchQuery(repositoryQuery(namespace, decodeURIComponent(name)));
  if ((search.get('tab') ?? 'tags') === 'tags' && !search.has('manifest')) {
    void queries.prefetchQuery(tagsQuery(namespace, decodeURIComponent(name), '', 1));
  }
}
