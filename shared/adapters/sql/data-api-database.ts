import type { Kysely } from 'kysely';
import { DataApiDialect, type DataApiTarget } from './data-api-dialect.js';
import { openDatabase, type OpenOptions } from './open-database.js';
import type { Database } from './schema.js';

/** Aurora PostgreSQL through the RDS Data API. */
export async function openDataApiDatabase(
  target: DataApiTarget,
  options?: OpenOptions,
): Promise<Kysely<Database>> {
  return openDatabase(new DataApiDialect(target), options);
}
