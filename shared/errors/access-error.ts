/**
 * Failures of identity and access, raised by the core and rendered by each
 * protocol in its own vocabulary: OCI error codes on `/v2`, Quay's JSON
 * errors on `/api/v1` (see `http/render-error.ts` and `http/api/api-errors.ts`).
 */
export type AccessErrorKind =
  /** No or bad credentials: 401. */
  | 'unauthorized'
  /** Known caller, not allowed: 403. */
  | 'forbidden'
  | 'not_found'
  /** Input that breaks a rule the schema cannot express: 400. */
  | 'invalid_request'
  | 'conflict'
  /** Too many failed logins: 429. */
  | 'too_many_attempts';

export interface AccessErrorOptions {
  /** For `/v2` challenges: the scope the caller would need. */
  scope?: string;
  /** `invalid_token` or `insufficient_scope`, for the Bearer challenge. */
  challengeError?: 'invalid_token' | 'insufficient_scope';
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class AccessError extends Error {
  constructor(
    readonly kind: AccessErrorKind,
    message: string,
    readonly options: AccessErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AccessError';
  }
}

export const accessError = (
  kind: AccessErrorKind,
  message: string,
  options?: AccessErrorOptions,
): AccessError => new AccessError(kind, message, options);
