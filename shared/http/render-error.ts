import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ociError, RegistryError } from '../errors/registry-error.js';
import { BlobNotFoundError, UploadNotFoundError } from '../ports/errors.js';

export type UnknownErrorLogger = (error: unknown, requestId: string) => void;

/** Maps every error the core and ports raise to the OCI vocabulary, in this one place. */
export function toRegistryError(error: unknown): RegistryError | null {
  if (error instanceof RegistryError) return error;
  if (error instanceof BlobNotFoundError) {
    return ociError('BLOB_UNKNOWN', { detail: { digest: error.digest }, cause: error });
  }
  if (error instanceof UploadNotFoundError) {
    return ociError('BLOB_UPLOAD_UNKNOWN', { detail: { uploadId: error.uploadId }, cause: error });
  }
  if (error instanceof HTTPException && error.status < 500) {
    return ociError('UNSUPPORTED', { status: error.status, message: error.message, cause: error });
  }
  return null;
}

export function renderError(error: unknown, c: Context, logUnknown: UnknownErrorLogger): Response {
  let known = toRegistryError(error);
  if (!known) {
    const requestId = c.get('requestId') ?? 'unknown';
    logUnknown(error, requestId);
    known = ociError('UNKNOWN', { detail: { requestId } });
  }
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...known.headers };
  return c.body(JSON.stringify(known), known.status as 400, headers);
}
