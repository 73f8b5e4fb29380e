import { Kysely } from 'kysely';
import { DataApiDialect, type DataApiTarget } from './data-api-dialect.js';
import type { Database } from './schema.js';

/**
 * Aurora PostgreSQL through the RDS Data API, never migrated on open: on AWS
 * one deploy-time function migrates (`functions/aws/migrate.ts`), so the
 * functions that serve requests do not carry the migrations in their bundles.
 */
export function openDataApiDatabase(target: DataApiTarget): Kysely<Database> {
  return new Kysely<Database>({ dialect: new DataApiDialect(target) });
}
