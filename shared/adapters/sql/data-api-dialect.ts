import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  DatabaseResumingException,
  ExecuteStatementCommand,
  RollbackTransactionCommand,
  type ColumnMetadata,
  type ExecuteStatementCommandOutput,
  type Field,
  type RDSDataClient,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import {
  PostgresAdapter,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';
import { DatabaseUnavailableError } from '../../ports/errors.js';
import { PostgresFamilyDialect } from './postgres-family-dialect.js';

export interface DataApiTarget {
  client: RDSDataClient;
  /** ARN of the Aurora cluster. */
  resourceArn: string;
  /** ARN of the Secrets Manager secret holding the database credentials. */
  secretArn: string;
  database: string;
  /**
   * How to wait for a paused Aurora Serverless v2 cluster (0 ACU) to resume:
   * the Data API refuses calls with DatabaseResumingException meanwhile.
   * Past `maxWaitMs` the call fails with `DatabaseUnavailableError`, which
   * the HTTP surfaces answer with 503 and `Retry-After`: a request must end
   * within its function's timeout, and clients retry a 503.
   */
  resume?: { retryDelayMs: number; maxWaitMs: number };
}

export const DEFAULT_RESUME = { retryDelayMs: 2_000, maxWaitMs: 60_000 };

/** What a client is told to wait when the database is still resuming. */
const RESUMING_RETRY_AFTER_SECONDS = 10;

/** Schema statements: kept running past the Data API's 45-second call limit (see below). */
const DDL = /^\s*(create|alter|drop|comment)\b/i;

/**
 * Sends a Data API command, retrying while the database resumes. Safe for
 * every command: a resuming database has run nothing when it refuses.
 */
async function send<T>(target: DataApiTarget, command: object): Promise<T> {
  const { retryDelayMs, maxWaitMs } = target.resume ?? DEFAULT_RESUME;
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    try {
      return (await target.client.send(command as never)) as T;
    } catch (error) {
      if (!(error instanceof DatabaseResumingException)) throw error;
      if (Date.now() + retryDelayMs > deadline) {
        throw new DatabaseUnavailableError(RESUMING_RETRY_AFTER_SECONDS, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
    }
  }
}

/**
 * Postgres as the Data API serves it. Every call outside a transaction may
 * land on another pooled connection, so Kysely's session-level advisory lock
 * around migrations would be taken on one connection and released on
 * another; and each migration runs as separate calls, so a schema
 * statement can run past the 45-second call limit (`continueAfterTimeout`)
 * instead of being cut off half done. One migration runs at a time anyway:
 * only the deploy's custom resource migrates, and CloudFormation updates a
 * stack once at a time.
 */
class DataApiAdapter extends PostgresAdapter {
  override get supportsTransactionalDdl(): boolean {
    return false;
  }

  override async acquireMigrationLock(_db: Kysely<unknown>): Promise<void> {}

  override async releaseMigrationLock(_db: Kysely<unknown>): Promise<void> {}
}

/**
 * Kysely over the RDS Data API (Aurora PostgreSQL), so Lambda functions reach
 * the metadata database with no VPC and no connection pool, through the same
 * queries and migrations as every other Postgres.
 */
export class DataApiDialect extends PostgresFamilyDialect {
  constructor(private readonly target: DataApiTarget) {
    super();
  }

  createDriver(): Driver {
    return new DataApiDriver(this.target);
  }

  override createAdapter() {
    return new DataApiAdapter();
  }
}

class DataApiDriver implements Driver {
  constructor(private readonly target: DataApiTarget) {}

  async init(): Promise<void> {}

  /** The Data API is stateless: a connection is only the transaction it may be in. */
  async acquireConnection(): Promise<DatabaseConnection> {
    return new DataApiConnection(this.target);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as DataApiConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as DataApiConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as DataApiConnection).rollback();
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}

class DataApiConnection implements DatabaseConnection {
  private transactionId: string | undefined;

  constructor(private readonly target: DataApiTarget) {}

  private get coordinates() {
    const { resourceArn, secretArn, database } = this.target;
    return { resourceArn, secretArn, database };
  }

  async begin() {
    const { transactionId } = await send<{ transactionId?: string }>(
      this.target,
      new BeginTransactionCommand(this.coordinates),
    );
    this.transactionId = transactionId;
  }

  async commit() {
    const transactionId = this.transactionId;
    this.transactionId = undefined;
    await send(this.target, new CommitTransactionCommand({ ...this.coordinates, transactionId }));
  }

  async rollback() {
    const transactionId = this.transactionId;
    this.transactionId = undefined;
    await send(
      this.target,
      new RollbackTransactionCommand({
        resourceArn: this.target.resourceArn,
        secretArn: this.target.secretArn,
        transactionId,
      }),
    );
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const output = await send<ExecuteStatementCommandOutput>(
      this.target,
      new ExecuteStatementCommand({
        ...this.coordinates,
        sql: toNamedParameters(compiled.sql),
        parameters: compiled.parameters.map((value, i) => toSqlParameter(`p${i + 1}`, value)),
        includeResultMetadata: true,
        ...(this.transactionId
          ? { transactionId: this.transactionId }
          : DDL.test(compiled.sql)
            ? { continueAfterTimeout: true }
            : {}),
      }),
    );
    return {
      rows: toRows<R>(output.records ?? [], output.columnMetadata ?? []),
      ...(output.numberOfRecordsUpdated !== undefined
        ? { numAffectedRows: BigInt(output.numberOfRecordsUpdated) }
        : {}),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the Data API does not stream query results');
  }
}

/**
 * `$1` placeholders (what Kysely's Postgres compiler writes) to the Data API's
 * `:p1`, leaving quoted strings and identifiers alone.
 */
export function toNamedParameters(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '$' && /\d/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (/\d/.test(sql[j] ?? '')) j++;
      out += `:p${sql.slice(i + 1, j)}`;
      i = j - 1;
    } else {
      out += c;
    }
  }
  return out;
}

/** A JS value as a typed Data API parameter. */
export function toSqlParameter(name: string, value: unknown): SqlParameter {
  if (value === null || value === undefined) return { name, value: { isNull: true } };
  if (typeof value === 'string') return { name, value: { stringValue: value } };
  if (typeof value === 'boolean') return { name, value: { booleanValue: value } };
  if (typeof value === 'bigint') return { name, value: { longValue: Number(value) } };
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? { name, value: { longValue: value } }
      : { name, value: { doubleValue: value } };
  }
  if (value instanceof Uint8Array) return { name, value: { blobValue: value } };
  if (value instanceof Date) {
    return {
      name,
      value: { stringValue: value.toISOString().replace('T', ' ').replace('Z', '') },
      typeHint: 'TIMESTAMP',
    };
  }
  return { name, value: { stringValue: JSON.stringify(value) }, typeHint: 'JSON' };
}

const JSON_TYPES = new Set(['json', 'jsonb']);
const TIMESTAMP_TYPES = new Set(['timestamp', 'timestamptz']);
// The Data API hands 64-bit and decimal values over as they fit; these come as strings.
const NUMERIC_STRING_TYPES = new Set(['numeric', 'decimal']);

function fieldValue(field: Field, column: ColumnMetadata | undefined): unknown {
  if (field.isNull) return null;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.blobValue !== undefined) return field.blobValue;
  if (field.arrayValue !== undefined) {
    const array = field.arrayValue;
    return (
      array.stringValues ??
      array.longValues ??
      array.doubleValues ??
      array.booleanValues ??
      (array.arrayValues ?? []).map((inner) =>
        fieldValue({ arrayValue: inner } as Field, undefined),
      )
    );
  }
  if (field.stringValue !== undefined) {
    const type = column?.typeName?.toLowerCase() ?? '';
    if (JSON_TYPES.has(type)) return JSON.parse(field.stringValue);
    if (TIMESTAMP_TYPES.has(type)) return new Date(`${field.stringValue.replace(' ', 'T')}Z`);
    if (NUMERIC_STRING_TYPES.has(type)) return Number(field.stringValue);
    return field.stringValue;
  }
  throw new Error(`unsupported Data API field ${JSON.stringify(Object.keys(field))}`);
}

/** Data API records and column metadata as plain rows keyed by column label. */
export function toRows<R>(records: Field[][], columns: ColumnMetadata[]): R[] {
  return records.map((record) => {
    const row: Record<string, unknown> = {};
    record.forEach((field, i) => {
      const column = columns[i];
      row[column?.label ?? column?.name ?? `column${i}`] = fieldValue(field, column);
    });
    return row as R;
  });
}
