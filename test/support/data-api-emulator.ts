import { randomUUID } from 'node:crypto';
import {
  BadRequestException,
  DatabaseResumingException,
  type ColumnMetadata,
  type ExecuteStatementCommandInput,
  type ExecuteStatementCommandOutput,
  type Field,
  type RDSDataClient,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { DATA_API } from '../infra/aws-facts.js';
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
 * `test/unit/data-api-dialect.test.ts` checks the dialect against. As the
 * Data API does, it refuses results over 1 MiB and rows over 64 KB, runs
 * calls outside a transaction on whichever pooled connection comes next
 * (so nothing session-scoped survives from one call to the next), and
 * refuses calls with DatabaseResumingException while "paused".
 */
export function dataApiEmulator(databaseUrl: string): {
  client: RDSDataClient;
  /** Every statement executed so far, in order. */
  statements: () => string[];
  /** Every ExecuteStatement input so far, to check the options the dialect sent. */
  inputs: () => ExecuteStatementCommandInput[];
  /** Makes every call fail as a paused Aurora Serverless v2 cluster does, for `ms`. */
  pause: (ms: number) => void;
  close: () => Promise<void>;
} {
  // Raw text for every type: the emulator decides the Data API encoding itself.
  const raw = { getTypeParser: () => (value: string) => value } as unknown as typeof pg.types;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 20, types: raw });
  // Dropping the scratch database ends idle connections; that is expected.
  pool.on('error', () => undefined);
  const transactions = new Map<string, pg.PoolClient>();
  const executed: ExecuteStatementCommandInput[] = [];
  let pausedUntil = 0;
  // Calls outside transactions rotate over a few connections, as a pool hands them out.
  const rotation: pg.PoolClient[] = [];
  let turn = 0;
  async function nextConnection(): Promise<pg.PoolClient> {
    if (rotation.length < 3) rotation.push(await pool.connect());
    return rotation[turn++ % rotation.length]!;
  }

  async function execute(
    input: ExecuteStatementCommandInput,
  ): Promise<Partial<ExecuteStatementCommandOutput>> {
    executed.push(input);
    const names = (input.parameters ?? []).map((p) => p.name!);
    const sql = input.sql!.replace(/:([a-zA-Z_]\w*)/g, (match, name: string) => {
      const index = names.indexOf(name);
      return index === -1 ? match : `$${index + 1}`;
    });
    // A JSON type hint needs nothing more here: Postgres casts the text itself.
    const values = (input.parameters ?? []).map(parameterValue);
    const client = input.transactionId ? transactions.get(input.transactionId) : undefined;
    if (input.transactionId && !client) throw new Error('emulator: unknown transaction');
    const result = await (client ?? (await nextConnection())).query({
      text: sql,
      values,
      rowMode: 'array',
    });
    const columns: ColumnMetadata[] = (result.fields ?? []).map((f) => {
      const typeName = ARRAY_TYPES[f.dataTypeID] ?? typeNames.get(f.dataTypeID) ?? 'text';
      return { name: f.name, label: f.name, typeName };
    });
    const rows = (result.rows ?? []) as unknown[][];
    const records = rows.map((row) =>
      row.map((cell, i) => {
        const typeName = columns[i]!.typeName!;
        if (cell === null) return { isNull: true };
        if (typeName === 'bytea') return toField(pgBytea(String(cell)), typeName);
        if (typeName.startsWith('_')) return toField(pgArray(String(cell)), typeName);
        if (typeName === 'bool') return toField(cell === 't', typeName);
        return toField(cell, typeName);
      }),
    );
    for (const record of records) {
      if (JSON.stringify(record).length > DATA_API.maxRowBytes) {
        throw new BadRequestException({ message: 'Packet for query is too large', $metadata: {} });
      }
    }
    if (JSON.stringify(records).length > DATA_API.maxResponseBytes) {
      throw new BadRequestException({
        message: 'Database returned more than the allowed response size limit',
        $metadata: {},
      });
    }
    return {
      records,
      columnMetadata: input.includeResultMetadata ? columns : undefined,
      numberOfRecordsUpdated: result.command === 'SELECT' ? 0 : (result.rowCount ?? 0),
    };
  }

  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      if (Date.now() < pausedUntil) {
        throw new DatabaseResumingException({
          message: 'The Aurora DB instance is resuming after being auto-paused.',
          $metadata: {},
        });
      }
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
  return {
    client,
    statements: () => executed.map((input) => input.sql!),
    inputs: () => [...executed],
    pause: (ms) => {
      pausedUntil = Date.now() + ms;
    },
    close: async () => {
      for (const connection of rotation) connection.release();
      await pool.end();
    },
  };
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
