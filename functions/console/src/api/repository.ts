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

export function useRepository(namespace: string, name: string) {
  return useQuery({
    queryKey: ['repository', namespace, name],
    queryFn: () =>
      unwrap(
        api.GET('/repository/{namespace}/{repository}', {
          params: { path: { namespace, repository: name }, query: { includeTags: 'false' } },
        }),
      ),
  });
}
