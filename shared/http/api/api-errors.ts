import type { Context } from 'hono';
import { AccessError, type AccessErrorKind } from '../../errors/access-error.js';
import { RegistryError } from '../../errors/registry-error.js';
import {
  DatabaseUnavailableError,
  RepositoryGoneError,
  TagImmutableError,
} from '../../ports/errors.js';

/**
 * Quay's error body: `error_type` names the kind, `error_message` and
 * `detail` say what went wrong, `status` repeats the HTTP status.
 */
export interface QuayError {
  status: number;
  error_message: string;
  error_type: string;
  title: string;
  detail: string;
  type: string;
}

const KINDS: Record<AccessErrorKind, { status: number; type: string }> = {
  unauthorized: { status: 401, type: 'invalid_token' },
  forbidden: { status: 403, type: 'insufficient_scope' },
  not_found: { status: 404, type: 'not_found' },
  invalid_request: { status: 400, type: 'invalid_request' },
  conflict: { status: 409, type: 'invalid_request' },
  too_many_attempts: { status: 429, type: 'exceeds_rate_limit' },
};

export function quayError(status: number, errorType: string, message: string): QuayError {
  return {
    status,
    error_message: message,
    error_type: errorType,
    title: errorType,
    detail: message,
    type: `/api/v1/error/${errorType}`,
  };
}

/** Registry errors surface here when an API call touches content (tags, manifests). */
function fromRegistryError(error: RegistryError): QuayError {
  const type =
    error.status === 404
      ? 'not_found'
      : error.status === 401
        ? 'invalid_token'
        : error.status === 403
          ? 'insufficient_scope'
          : 'invalid_request';
  return quayError(error.status, type, error.message);
}

/** Renders any error on `/api/v1` as Quay does; null for errors nobody expected. */
export function renderApiError(error: unknown, c: Context): Response | null {
  let body: QuayError;
  const headers: Record<string, string> = {};
  if (error instanceof AccessError) {
    const kind = KINDS[error.kind];
    body = quayError(kind.status, kind.type, error.message);
    if (error.kind === 'too_many_attempts') {
      headers['Retry-After'] = String(error.options.retryAfterSeconds ?? 1);
    }
  } else if (error instanceof RegistryError) {
    body = fromRegistryError(error);
  } else if (error instanceof TagImmutableError) {
    body = quayError(400, 'invalid_request', error.message);
  } else if (error instanceof RepositoryGoneError) {
    body = quayError(404, 'not_found', 'the repository was deleted');
  } else if (error instanceof DatabaseUnavailableError) {
    body = quayError(503, 'service_unavailable', error.message);
    headers['Retry-After'] = String(error.retryAfterSeconds);
  } else {
    return null;
  }
  return c.json(body, body.status as 400, headers);
}
