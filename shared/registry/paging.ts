import { ociError } from '../errors/registry-error.js';

export interface PageRequest {
  /** Raw `n` query parameter. */
  n?: string | undefined;
  /** Raw `last` query parameter. */
  last?: string | undefined;
}

export interface PageOf<T> {
  items: T[];
  /** Set when more entries follow: the `last` to ask for next, with the same `n`. */
  next?: { n: number; last: string };
}

/** Without `n`, one page holds at most this many entries; a `Link` header leads on. */
export const MAX_PAGE_SIZE = 10_000;

export function pageSize(n: string | undefined): number {
  if (n === undefined || n === '') return MAX_PAGE_SIZE;
  if (!/^\d+$/.test(n)) {
    throw ociError('PAGINATION_NUMBER_INVALID', { detail: { n }, status: 400 });
  }
  return Math.min(Number(n), MAX_PAGE_SIZE);
}

/**
 * Fetches one page through `fetch(limit, after)` asking for one entry more
 * than needed, to know whether another page follows without a count query.
 * A metadata store that caps what one query may return (the Data API's
 * 1 MiB) is asked in chunks of at most `rowsPerQuery`.
 */
export async function paginate(
  request: PageRequest,
  fetch: (limit: number, after: string | undefined) => Promise<string[]>,
  rowsPerQuery = Infinity,
): Promise<PageOf<string>> {
  const size = pageSize(request.n);
  if (size === 0) return { items: [] };
  const rows: string[] = [];
  let after = request.last || undefined;
  while (rows.length < size + 1) {
    const want = Math.min(size + 1 - rows.length, rowsPerQuery);
    const chunk = await fetch(want, after);
    rows.push(...chunk);
    if (chunk.length < want) break;
    after = chunk[chunk.length - 1];
  }
  if (rows.length <= size) return { items: rows };
  const items = rows.slice(0, size);
  return { items, next: { n: size, last: items[items.length - 1]! } };
}
