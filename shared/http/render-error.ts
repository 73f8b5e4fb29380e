import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AccessError } from '../errors/access-error.js';
import { ociError, RegistryError } from '../errors/registry-error.js';
import {
  BlobNotFoundError,
  DatabaseUnavailableError,
  StorageUnavailableError,
  TagImmutableError,
  RepositoryGoneError,
  UploadNotFoundError,
} from '../ports/errors.js';
import type { HttpEnv } from './http-env.js';

export type UnknownErrorLogger = (error: unknown, requestId: string) => void;

/** The Bearer challenge that tells a client where to get a token, and for what. */
function challengeHeader(c: Context<HttpEnv>, error: AccessError): Record<string, string> {
  const challenge = c.get('challenge');
  if (!challenge) return {};
  const parts = [`realm="${challenge.realm}"`, `service="${challenge.service}"`];
  if (error.options.scope) parts.push(`scope="${error.options.scope}"`);
  if (error.options.challengeError) parts.push(`error="${error.options.challengeError}"`);
  return { 'WWW-Authenticate': `Bearer ${parts.join(',')}` };
}

function fromAccessError(error: AccessError, c: Context<HttpEnv>): RegistryError {
  const options = { message: error.message, cause: error };
  switch (error.kind) {
    case 'unauthorized':
      return ociError('UNAUTHORIZED', { ...options, headers: challengeHeader(c, error) });
    case 'forbidden':
      return ociError('DENIED', options);
    case 'not_found':
      return ociError('UNSUPPORTED', { ...options, status: 404 });
    case 'too_many_attempts':
      return ociError('TOOMANYREQUESTS', {
        ...options,
        headers: { 'Retry-After': String(error.options.retryAfterSeconds ?? 1) },
      });
    case 'invalid_request':
      return ociError('UNSUPPORTED', { ...options, status: 400 });
    case 'conflict':
      return ociError('DENIED', { ...options, status: 409 });
  }
}

/** Maps every error the core and ports raise to the OCI vocabulary, in this one place. */
export function toRegistryError(error: unknown, c: Context<HttpEnv>): RegistryError | null {
  if (error instanceof RegistryError) return error;
  if (error instanceof AccessError) return fromAccessError(error, c);
  if (error instanceof BlobNotFoundError) {
    return ociError('BLOB_UNKNOWN', { detail: { digest: error.digest }, cause: error });
  }
  if (error instanceof UploadNotFoundError) {
    return ociError('BLOB_UPLOAD_UNKNOWN', { detail: { uploadId: error.uploadId }, cause: error });
  }
  if (error instanceof TagImmutableError) {
    return ociError('DENIED', {
      status: 403,
      message: error.message,
      detail: { tag: error.tag },
      cause: error,
    });
  }
  if (error instanceof RepositoryGoneError) {
    return ociError('NAME_UNKNOWN', { message: 'the repository was deleted', cause: error });
  }
  if (error instanceof DatabaseUnavailableError || error instanceof StorageUnavailableError) {
    return ociError('UNAVAILABLE', {
      message: error.message,
      headers: { 'Retry-After': String(error.retryAfterSeconds) },
      cause: error,
    });
  }
  if (error instanceof HTTPException && error.status < 500) {
    return ociError('UNSUPPORTED', { status: error.status, message: error.message, cause: error });
  }
  return null;
}

export function renderError(
  error: unknown,
  c: Context<HttpEnv>,
  logUnknown: UnknownErrorLogger,
): Response {
  let known = toRegistryError(error, c);
  if (!known) {
    const requestId = c.get('requestId') ?? 'unknown';
    logUnknown(error, requestId);
    known = ociError('UNKNOWN', { detail: { requestId } });
  }
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...known.headers };
  return c.body(JSON.stringify(known), known.status as 400, headers);
}
