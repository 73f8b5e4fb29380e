import type { Context } from 'hono';
import type { OciErrorCode } from '../../errors/oci-error-codes.js';
import { ociError } from '../../errors/registry-error.js';
import type { HttpEnv } from '../http-env.js';

/**
 * A query parameter the registry compares or stores. PostgreSQL refuses
 * text holding a NUL byte, so one is bad input in the parameter's own
 * terms (`code`), answered before any query.
 */
export function queryText(
  c: Context<HttpEnv>,
  key: string,
  code: OciErrorCode,
): string | undefined {
  const value = c.req.query(key);
  if (value?.includes('\0')) {
    throw ociError(code, { status: 400, detail: { [key]: value } });
  }
  return value;
}
