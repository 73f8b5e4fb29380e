import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { DataApiDialect, type DataApiTarget } from './data-api-dialect.js';
import { migrateToLatest } from './migrate.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

const INT8_OID = 20;

/** Postgres `bigint` as a JS number: sizes and times stay far below 2^53. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? Number
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export type DatabaseTarget =
  | { kind: 'embedded'; dataDir: string | null }
  | { kind: 'postgres'; url: string; poolSize?: number }
  | ({ kind: 'data-api' } & DataApiTarget);

/**
 * Opens the metadata database and, unless told not to (on AWS a deploy-time
 * function migrates once), brings its schema up to date.
 */
export async function openDatabase(
  target: DatabaseTarget,
  { migrate = true }: { migrate?: boolean } = {},
): Promise<Kysely<Database>> {
  let dialect;
  if (target.kind === 'data-api') {
    dialect = new DataApiDialect(target);
  } else if (target.kind === 'postgres') {
    dialect = new PostgresDialect({
      pool: new pg.Pool({
        connectionString: target.url,
        max: target.poolSize ?? 10,
        types: pgTypes,
      }),
    });
  } else {
    if (target.dataDir) await mkdir(target.dataDir, { recursive: true });
    const pglite = target.dataDir ? new PGlite(target.dataDir) : new PGlite();
    dialect = new PGliteDialect(pglite);
  }
  const db = new Kysely<Database>({ dialect });
  if (migrate) await migrateToLatest(db as Kysely<unknown>);
  return db;
}
