import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, unwrap } from './client';

/** The repository a `/repository/:namespace/<name>` URL names (names may be nested). */
export function useRepositoryName() {
  const params = useParams();
  return { namespace: params.namespace!, name: params['*']!.replace(/\/+$/, '') };
}

export const repositoryPath = (namespace: string, repository: string) => ({
  params: { path: { namespace, repository } },
});

export const repositoryQuery = (namespace: string, name: string) => ({
  queryKey: ['repository', namespace, name],
  queryFn: () =>
    unwrap(
      api.GET('/repository/{namespace}/{repository}', {
        params: { path: { namespace, repository: name }, query: { includeTags: 'false' as const } },
      }),
    ),
});

export function useRepository(namespace: string, name: string) {
  return useQuery(repositoryQuery(namespace, name));
}

export const TAGS_PER_PAGE = 50;

/** A page of live tags: one query, shared by the Tags tab and the repository page that prefetches it. */
export const tagsQuery = (namespace: string, name: string, filter: string, page: number) => ({
  queryKey: ['tags', namespace, name, filter, page],
  queryFn: () =>
    unwrap(
      api.GET('/repository/{namespace}/{repository}/tag', {
        params: {
          path: { namespace, repository: name },
          query: {
            onlyActiveTags: 'true' as const,
            page,
            limit: TAGS_PER_PAGE,
            ...(filter ? { filter_tag_name: `like:${filter}` } : {}),
          },
        },
      }),
    ),
});
