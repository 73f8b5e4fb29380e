import { coerce, gte, lte, refine } from 'zod/mini';

/** An integer, from a number or a numeric string (environment variables are strings). */
export function integer({ min = -Infinity, max = Infinity }: { min?: number; max?: number } = {}) {
  return coerce.number().check(
    refine((n: unknown) => Number.isInteger(n), { message: 'must be an integer' }),
    gte(min),
    lte(max),
  );
}
