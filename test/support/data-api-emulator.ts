import { randomUUID } from 'node:crypto';
import type {
  ColumnMetadata,
  ExecuteStatementCommandInput,
  ExecuteStatementCommandOutput,
  Field,
  RDSDataClient,
  SqlParameter,
} from '@aws-sdk/client-rds-data';
import pg from 'pg';

const typeNames = new Map<number, string>(
  Object.entries(pg.types.builtins).map(([name, oid]) => [oid as number, name.toLowerCase()]),
);
// pg names array types by element; the Data API reports Postgres's own `_text`, `_int8`.
const ARRAY_TYPES: Record<number, string> = { 1009: '_text', 1016: '_int8', 1000: '_bool' };

function parameterValue(p: SqlParameter): unknown {
  const v = p.value!;
  if (v.isNull) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.longValue !== undefined) return v.longValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.booleanValue !== undefined) return v.booleanValue;
  if (v.blobValue !== undefined) return Buffer.from(v.blobValue);
  throw new Error(`emulator: unsupported parameter ${p.name}`);
}

/** Encodes a Postgres value as the Data API does for Aurora PostgreSQL. */
function toField(value: unknown, typeName: string): Field {
  if (value === null || value === undefined) return { isNull: true };
  if (typeName.startsWith('_')) {
    const items = value as unknown[];
    if (typeName === '_int8') return { arrayValue: { longValues: items.map(Number) } };
    if (typeName === '_bool') return { arrayValue: { booleanValues: items as boolean[] } };
    return { arrayValue: { stringValues: items.map(String) } };
  }
  switch (typeName) {
    case 'int2':
    case 'int4':
    case 'int8':
      return { longValue: Number(value) };
    case 'float4':
    case 'float8':
      return { doubleValue: Number(value) };
    case 'bool':
      return { booleanValue: value as boolean };
    case 'bytea':
      return { blobValue: new Uint8Array(value as Buffer) };
    default:
      return { stringValue: String(value) };
  }
}

/**
 * Enough of the RDS Data API for the dialect, executed on a real Postgres:
 * named parameters, typed records with column metadata, and transactions
 * held on their own client. Its encoding follows the recorded shapes that
 * `test/unit/data-api-dialect.test.ts` checks the dialect against.
 */
export function dataApiEmulator(databaseUrl: string): {
  client: RDSDataClient;
  /** Every statement executed so far, in order. */
  statements: () => string[];
  close: () => Promise<void>;
} {
  // Raw text for every type: the emulator decides the Data API encoding itself.
  const raw = { getTypeParser: () => (value: string) => value } as unknown as typeof pg.types;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 20, types: raw });
  // Dropping the scratch database ends idle connections; that is expected.
  pool.on('error', () => undefined);
  const transactions = new Map<string, pg.PoolClient>();
  const executed: string[] = [];

  async function execute(
    input: ExecuteStatementCommandInput,
  ): Promise<Partial<ExecuteStatementCommandOutput>> {
    executed.push(input.sql!);
    const names = (input.parameters ?? []).map((p) => p.name!);
    const sql = input.sql!.replace(/:([a-zA-Z_]\w*)/g, (match, name: string) => {
      const index = names.indexOf(name);
      return index === -1 ? match : `$${index + 1}`;
    });
    // A JSON type hint needs nothing more here: Postgres casts the text itself.
    const values = (input.parameters ?? []).map(parameterValue);
    const client = input.transactionId ? transactions.get(input.transactionId) : undefined;
    if (input.transactionId && !client) throw new Error('emulator: unknown transaction');
    const result = await (client ?? pool).query({ text: sql, values, rowMode: 'array' });
    const columns: ColumnMetadata[] = (result.fields ?? []).map((f) => {
      const typeName = ARRAY_TYPES[f.dataTypeID] ?? typeNames.get(f.dataTypeID) ?? 'text';
      return { name: f.name, label: f.name, typeName };
    });
    const rows = (result.rows ?? []) as unknown[][];
    return {
      records: rows.map((row) =>
        row.map((cell, i) => {
          const typeName = columns[i]!.typeName!;
          if (cell === null) return { isNull: true };
          if (typeName === 'bytea') return toField(pgBytea(String(cell)), typeName);
          if (typeName.startsWith('_')) return toField(pgArray(String(cell)), typeName);
          if (typeName === 'bool') return toField(cell === 't', typeName);
          return toField(cell, typeName);
        }),
      ),
      columnMetadata: input.includeResultMetadata ? columns : undefined,
      numberOfRecordsUpdated: result.command === 'SELECT' ? 0 : (result.rowCount ?? 0),
    };
  }

  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      switch (command.constructor.name) {
        case 'ExecuteStatementCommand':
          return execute(command.input as unknown as ExecuteStatementCommandInput);
        case 'BeginTransactionCommand': {
          const connection = await pool.connect();
          await connection.query('begin');
          const transactionId = randomUUID();
          transactions.set(transactionId, connection);
          return { transactionId };
        }
        case 'CommitTransactionCommand':
        case 'RollbackTransactionCommand': {
          const id = command.input.transactionId as string;
          const connection = transactions.get(id);
          if (!connection) throw new Error('emulator: unknown transaction');
          transactions.delete(id);
          try {
            await connection.query(
              command.constructor.name === 'CommitTransactionCommand' ? 'commit' : 'rollback',
            );
          } finally {
            connection.release();
          }
          return { transactionStatus: 'done' };
        }
        default:
          throw new Error(`emulator: ${command.constructor.name} is not emulated`);
      }
    },
  } as unknown as RDSDataClient;
  return { client, statements: () => [...executed], close: () => pool.end() };
}

function pgBytea(text: string): Buffer {
  return Buffer.from(text.slice(2), 'hex');
}

/** Parses a one-dimensional Postgres array literal of plain or quoted items. */
function pgArray(text: string): string[] {
  const inner = text.slice(1, -1);
  if (inner === '') return [];
  const items: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (quoted) {
      if (c === '\\') current += inner[++i];
      else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      items.push(current);
      current = '';
    } else current += c;
  }
  items.push(current);
  return items;
}
