import { PostgresDialect, type Kysely } from 'kysely';
import pg from 'pg';
import { openDatabase, type OpenOptions } from './open-database.js';
import type { Database } from './schema.js';

const INT8_OID = 20;

/** Postgres `bigint` as a JS number: sizes and times stay far below 2^53. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? Number
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Any Postgres server by URL, through a node-postgres pool. */
export async function openPostgresDatabase(
  url: string,
  options: OpenOptions & { poolSize?: number } = {},
): Promise<Kysely<Database>> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types: pgTypes });
  return openDatabase(new PostgresDialect({ pool }), options);
}
