import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Bodies of the JSON and form endpoints (`/api/v1`, `/oauth`) are small;
 * a larger one is refused with 413 before it is read, or as soon as a body
 * without a length passes the limit.
 */
export const TEXT_BODY_LIMIT_BYTES = 2 * 1024 * 1024;

export type GuardRefusal = (status: 400 | 413, message: string) => Response;

const hasNul = (text: string) => text.includes('\0');

/** Whether any string in a parsed JSON value, keys included, holds a NUL byte. */
function jsonHasNul(value: unknown): boolean {
  if (typeof value === 'string') return hasNul(value);
  if (Array.isArray(value)) return value.some(jsonHasNul);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, v]) => hasNul(key) || jsonHasNul(v));
  }
  return false;
}

function bodyHasNul(type: string, text: string): boolean {
  if (type.includes('application/x-www-form-urlencoded')) {
    return [...new URLSearchParams(text)].some(([k, v]) => hasNul(k) || hasNul(v));
  }
  try {
    return jsonHasNul(JSON.parse(text));
  } catch {
    // Not JSON: the route's own validation answers it.
    return hasNul(text);
  }
}

/**
 * Text the registry stores or looks up must hold no NUL byte (PostgreSQL
 * refuses one), so a request carrying one anywhere in its path, its query
 * or its body is bad input, refused before any handler runs.
 */
export function textInputGuard(refuse: GuardRefusal): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: TEXT_BODY_LIMIT_BYTES,
    onError: () => refuse(413, `request bodies are limited to ${TEXT_BODY_LIMIT_BYTES} bytes`),
  });
  const nul: MiddlewareHandler = async (c, next) => {
    const url = new URL(c.req.url);
    if (/%00/.test(url.pathname) || hasNul(c.req.path)) {
      return refuse(400, 'the path holds a NUL byte');
    }
    if ([...url.searchParams].some(([k, v]) => hasNul(k) || hasNul(v))) {
      return refuse(400, 'the query holds a NUL byte');
    }
    if (c.req.raw.body && bodyHasNul(c.req.header('content-type') ?? '', await c.req.text())) {
      return refuse(400, 'the body holds a NUL byte');
    }
    return next();
  };
  return (c, next) => limit(c, () => nul(c, next) as Promise<void>);
}
