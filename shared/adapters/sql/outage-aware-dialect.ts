import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  Kysely,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { DatabaseUnavailableError } from '../../ports/errors.js';

/** What a client is told to wait when the database server cannot be reached. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/** Socket errors of a server that is down, restarting or out of reach. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * SQLSTATEs of a server that is not taking work: class 08 (connection
 * exception), shutdown and startup (57P01–57P03), and too many connections.
 */
const UNAVAILABLE_STATES = /^(08...|57P0[123]|53300)$/;

/** node-postgres reports a dropped or unobtainable connection in words only. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
];

/** Whether an error from the driver means the server is out of reach rather than the query wrong. */
export function isOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || UNAVAILABLE_STATES.test(code))) {
    return true;
  }
  if (UNAVAILABLE_MESSAGES.some((m) => error.message.includes(m))) return true;
  // An AggregateError from a host with several addresses, each refused.
  return error instanceof AggregateError && error.errors.length > 0 && error.errors.every(isOutage);
}

function translated(error: unknown): unknown {
  return isOutage(error)
    ? new DatabaseUnavailableError(OUTAGE_RETRY_AFTER_SECONDS, { cause: error })
    : error;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translated(error);
  }
}

/**
 * Reports a database server that is down or out of reach as
 * `DatabaseUnavailableError`, which both HTTP surfaces answer with 503 and
 * `Retry-After` instead of an internal error; every other error passes
 * unchanged.
 */
export class OutageAwareDialect implements Dialect {
  constructor(private readonly inner: Dialect) {}

  createDriver(): Driver {
    return new OutageAwareDriver(this.inner.createDriver());
  }
  createAdapter() {
    return this.inner.createAdapter();
  }
  createIntrospector(db: Kysely<unknown>) {
    return this.inner.createIntrospector(db);
  }
  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }
}

class GuardedConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return guarded(() => this.inner.executeQuery<R>(query));
  }

  async *streamQuery<R>(
    query: CompiledQuery,
    chunkSize?: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (error) {
      throw translated(error);
    }
  }
}

/**
 * The inner driver's own connection goes back to it: Kysely's drivers
 * release a connection through state only their own connection object has.
 */
const innerOf = (connection: DatabaseConnection) =>
  connection instanceof GuardedConnection ? connection.inner : connection;

class OutageAwareDriver implements Driver {
  readonly savepoint?: Driver['savepoint'];
  readonly rollbackToSavepoint?: Driver['rollbackToSavepoint'];
  readonly releaseSavepoint?: Driver['releaseSavepoint'];

  constructor(private readonly inner: Driver) {
    for (const name of ['savepoint', 'rollbackToSavepoint', 'releaseSavepoint'] as const) {
      const step = inner[name]?.bind(inner);
      if (step) this[name] = (...args) => guarded(() => step(...args));
    }
  }

  init() {
    return guarded(() => this.inner.init());
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new GuardedConnection(await guarded(() => this.inner.acquireConnection()));
  }
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    return guarded(() => this.inner.beginTransaction(connection, settings));
  }
  commitTransaction(connection: DatabaseConnection) {
    return guarded(() => this.inner.commitTransaction(connection));
  }
  rollbackTransaction(connection: DatabaseConnection) {
    return guarded(() => this.inner.rollbackTransaction(connection));
  }
  releaseConnection(connection: DatabaseConnection) {
    return this.inner.releaseConnection(innerOf(connection));
  }
  destroy() {
    return this.inner.destroy();
  }
}
