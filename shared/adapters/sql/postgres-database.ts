import { PostgresDialect, type Kysely } from 'kysely';
import pg from 'pg';
import { openDatabase, type OpenOptions } from './open-database.js';
import { OutageAwareDialect } from './outage-aware-dialect.js';
import { prepareStatementsOn } from './pg-prepared-statements.js';
import type { Database } from './schema.js';

const INT8_OID = 20;
const CONNECT_TIMEOUT_MS = 5_000;

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
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types: pgTypes,
    // Without a limit a request waits forever on a server that does not answer.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // An idle connection the server closes (a restart, a failover, an
  // administrator) is dropped from the pool and replaced on demand; without
  // a listener node-postgres would turn it into an uncaught exception.
  pool.on('error', (error) => {
    console.error('[berth] idle database connection lost:', error.message);
  });
  pool.on('connect', (client) => {
    // A connection that breaks while checked out reports it on the client as
    // well as to the query in flight; unheard, that event would end the process.
    client.on('error', (error) => {
      console.error('[berth] database connection lost:', error.message);
    });
    prepareStatementsOn(client);
  });
  return openDatabase(new OutageAwareDialect(new PostgresDialect({ pool })), options);
}
