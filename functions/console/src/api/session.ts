import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, forgetSession, unwrap } from './client';

/** Who is signed in: null when nobody is. */
export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      try {
        return await unwrap(api.GET('/user'));
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

export type Me = NonNullable<ReturnType<typeof useMe>['data']>;

export function useSignOut() {
  const queries = useQueryClient();
  return async () => {
    await api.POST('/signout').catch(() => undefined);
    forgetSession();
    queries.clear();
    queries.setQueryData(['me'], null);
  };
}
