import { OCI_ERROR_CODES, type OciErrorCode } from './oci-error-codes.js';

export interface RegistryErrorOptions {
  message?: string;
  detail?: unknown;
  /** Overrides the table's status where the spec asks for another (413 for an oversized manifest). */
  status?: number;
  /** Headers the spec requires on this error (the upload `Range` on a 416, for example). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** A failure that `/v2` reports in the OCI error vocabulary. */
export class RegistryError extends Error {
  readonly code: OciErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Record<string, string>;

  constructor(code: OciErrorCode, options: RegistryErrorOptions = {}) {
    super(options.message ?? OCI_ERROR_CODES[code].message, { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.status = options.status ?? OCI_ERROR_CODES[code].status;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }

  toJSON(): { errors: { code: string; message: string; detail?: unknown }[] } {
    const entry: { code: string; message: string; detail?: unknown } = {
      code: this.code,
      message: this.message,
    };
    if (this.detail !== undefined) entry.detail = this.detail;
    return { errors: [entry] };
  }
}

export const ociError = (code: OciErrorCode, options?: RegistryErrorOptions): RegistryError =>
  new RegistryError(code, options);
