import { Kysely, type Dialect } from 'kysely';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';

export interface OpenOptions {
  /** Bring the schema up to date first (on AWS a deploy-time function does it once instead). */
  migrate?: boolean;
}

/**
 * Opens the metadata database through a dialect. Each backend has its own
 * module (`embedded-database`, `postgres-database`, `data-api-database`), so
 * an entry point bundles only the driver it uses.
 */
export async function openDatabase(
  dialect: Dialect,
  { migrate = true }: OpenOptions = {},
): Promise<Kysely<Database>> {
  const db = new Kysely<Database>({ dialect });
  if (migrate) await migrateToLatest(db as Kysely<unknown>);
  return db;
}
