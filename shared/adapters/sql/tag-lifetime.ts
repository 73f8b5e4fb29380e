import type { ExpressionBuilder } from 'kysely';
import type { Database } from './schema.js';

/**
 * Whether a tag row is alive at `nowMs`: its lifetime has not ended, or ends
 * later (an expiry). On its own so the tag writers and the immutability
 * checks they call can both use it without importing each other.
 */
export const aliveAt = (eb: ExpressionBuilder<Database, 'tag'>, nowMs: number) =>
  eb.or([eb('tag.lifetime_end_ms', 'is', null), eb('tag.lifetime_end_ms', '>', nowMs)]);
