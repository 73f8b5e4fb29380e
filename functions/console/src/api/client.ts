import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
let csrfToken: Promise<string> | null = null;

/** The session's CSRF token (Quay's `GET /csrf_token`), fetched once and kept until refused. */
function csrf(): Promise<string> {
  csrfToken ??= fetch('/csrf_token', { credentials: 'same-origin' }).then(async (r) => {
    if (!r.ok) throw new ApiError(r.status, 'not signed in');
    return ((await r.json()) as { csrf_token: string }).csrf_token;
  });
  csrfToken.catch(() => (csrfToken = null));
  return csrfToken;
}

export function forgetSession(): void {
  csrfToken = null;
}

/**
 * Every write carries the session's CSRF token. A token the server no
 * longer takes (the session changed) is fetched anew and the write sent
 * once more.
 */
async function sessionFetch(request: Request): Promise<Response> {
  if (!UNSAFE.has(request.method) || new URL(request.url).pathname.endsWith('/signin')) {
    return fetch(request);
  }
  const retry = request.clone();
  request.headers.set('X-CSRF-Token', await csrf());
  const response = await fetch(request);
  if (response.status !== 403) return response;
  const body = (await response
    .clone()
    .json()
    .catch(() => null)) as { error_type?: string } | null;
  if (body?.error_type !== 'invalid_csrf_token') return response;
  forgetSession();
  retry.headers.set('X-CSRF-Token', await csrf());
  return fetch(retry);
}

export const api = createClient<paths>({
  baseUrl: '/api/v1',
  credentials: 'same-origin',
  fetch: sessionFetch,
});

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The answer's data, or an error that says what Quay's error body said. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const body = error as { error_message?: string; message?: string; detail?: string } | undefined;
  throw new ApiError(
    response.status,
    body?.error_message ??
      body?.message ??
      body?.detail ??
      `${response.status} ${response.statusText}`,
  );
}
