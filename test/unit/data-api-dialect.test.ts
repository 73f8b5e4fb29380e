import { DatabaseUnavailableError } from '../../shared/ports/errors.js';
import {
  DatabaseResumingException,
  type ExecuteStatementCommandOutput,
  type RDSDataClient,
} from '@aws-sdk/client-rds-data';
import { Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  DataApiDialect,
  toNamedParameters,
  toRows,
  toSqlParameter,
} from '../../shared/adapters/sql/data-api-dialect.js';

/**
 * An ExecuteStatement response for Aurora PostgreSQL as the SDK hands it over
 * (JSON from the service, `blobValue` already decoded from base64), for
 *   select id, name, deleted_at_ms, enabled, ratio, content, locations,
 *          created, annotations, total from ...
 */
const recorded: Pick<
  ExecuteStatementCommandOutput,
  'records' | 'columnMetadata' | 'numberOfRecordsUpdated'
> = {
  columnMetadata: [
    { name: 'id', label: 'id', typeName: 'int8', type: -5, nullable: 0 },
    { name: 'name', label: 'name', typeName: 'text', type: 12, nullable: 0 },
    { name: 'deleted_at_ms', label: 'deleted_at_ms', typeName: 'int8', type: -5, nullable: 1 },
    { name: 'enabled', label: 'enabled', typeName: 'bool', type: -7, nullable: 0 },
    { name: 'ratio', label: 'ratio', typeName: 'float8', type: 8, nullable: 1 },
    { name: 'content', label: 'content', typeName: 'bytea', type: -2, nullable: 0 },
    { name: 'locations', label: 'locations', typeName: '_text', type: 2003, nullable: 1 },
    { name: 'created', label: 'created', typeName: 'timestamptz', type: 93, nullable: 1 },
    { name: 'annotations', label: 'annotations', typeName: 'jsonb', type: 1111, nullable: 1 },
    { name: 'total', label: 'total', typeName: 'numeric', type: 2, nullable: 1 },
  ],
  records: [
    [
      { longValue: 42 },
      { stringValue: 'org/app' },
      { isNull: true },
      { booleanValue: true },
      { doubleValue: 0.25 },
      { blobValue: new Uint8Array([123, 125]) },
      { arrayValue: { stringValues: ['eu', 'us'] } },
      { stringValue: '2026-11-24 22:12:00.5' },
      { stringValue: '{"org.example.signer": "ci"}' },
      { stringValue: '12345678901234' },
    ],
  ],
  numberOfRecordsUpdated: 0,
};

describe('toRows', () => {
  it('maps every Data API field kind to the value other Postgres drivers give', () => {
    const [row] = toRows<Record<string, unknown>>(recorded.records!, recorded.columnMetadata!);
    expect(row).toEqual({
      id: 42,
      name: 'org/app',
      deleted_at_ms: null,
      enabled: true,
      ratio: 0.25,
      content: new Uint8Array([123, 125]),
      locations: ['eu', 'us'],
      created: new Date('2026-11-24T22:12:00.500Z'),
      annotations: { 'org.example.signer': 'ci' },
      total: 12345678901234,
    });
  });
});

describe('toSqlParameter', () => {
  it.each([
    [null, { isNull: true }, undefined],
    [undefined, { isNull: true }, undefined],
    ['text', { stringValue: 'text' }, undefined],
    [7, { longValue: 7 }, undefined],
    [1.5, { doubleValue: 1.5 }, undefined],
    [false, { booleanValue: false }, undefined],
    [10n, { longValue: 10 }, undefined],
    [new Uint8Array([1, 2]), { blobValue: new Uint8Array([1, 2]) }, undefined],
    [new Date('2026-01-02T03:04:05.006Z'), { stringValue: '2026-01-02 03:04:05.006' }, 'TIMESTAMP'],
    [{ a: 'b' }, { stringValue: '{"a":"b"}' }, 'JSON'],
  ])('sends %o typed as the Data API wants', (value, expected, typeHint) => {
    const parameter = toSqlParameter('p1', value);
    expect(parameter.value).toEqual(expected);
    expect(parameter.typeHint).toBe(typeHint);
  });
});

describe('toNamedParameters', () => {
  it('renames positional placeholders but not text inside quotes', () => {
    expect(
      toNamedParameters(`select $1, '$2 costs', "col$3" from t where a = $10 and b = $2`),
    ).toBe(`select :p1, '$2 costs', "col$3" from t where a = :p10 and b = :p2`);
  });
});

describe('DataApiDialect', () => {
  function recordingClient(failOn?: string) {
    const sent: { command: string; input: Record<string, unknown> }[] = [];
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ command: command.constructor.name, input: command.input });
        if (command.constructor.name === 'BeginTransactionCommand')
          return { transactionId: 'tx-1' };
        if (failOn && String(command.input.sql ?? '').includes(failOn))
          throw new Error('statement failed');
        return {
          records: [[{ longValue: 1 }]],
          columnMetadata: [{ label: 'one', typeName: 'int4' }],
          numberOfRecordsUpdated: 0,
        };
      },
    } as unknown as RDSDataClient;
    const db = new Kysely<unknown>({
      dialect: new DataApiDialect({
        client,
        resourceArn: 'cluster-arn',
        secretArn: 'secret-arn',
        database: 'berth',
      }),
    });
    return { db, sent };
  }

  it('sends named, typed parameters with the cluster, secret and database', async () => {
    const { db, sent } = recordingClient();
    const rows = await sql<{ one: number }>`select ${5} as one where ${'x'} = ${'x'}`.execute(db);
    expect(rows.rows).toEqual([{ one: 1 }]);
    expect(sent).toEqual([
      {
        command: 'ExecuteStatementCommand',
        input: {
          resourceArn: 'cluster-arn',
          secretArn: 'secret-arn',
          database: 'berth',
          sql: 'select :p1 as one where :p2 = :p3',
          parameters: [
            { name: 'p1', value: { longValue: 5 } },
            { name: 'p2', value: { stringValue: 'x' } },
            { name: 'p3', value: { stringValue: 'x' } },
          ],
          includeResultMetadata: true,
        },
      },
    ]);
  });

  it('runs a transaction under one transaction id and commits it', async () => {
    const { db, sent } = recordingClient();
    await db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      await sql`select 2`.execute(trx);
    });
    expect(sent.map((s) => s.command)).toEqual([
      'BeginTransactionCommand',
      'ExecuteStatementCommand',
      'ExecuteStatementCommand',
      'CommitTransactionCommand',
    ]);
    expect(sent.slice(1, 4).map((s) => s.input.transactionId)).toEqual(['tx-1', 'tx-1', 'tx-1']);
  });

  it('waits for a paused database to resume, then gives up at the deadline', async () => {
    let refusals = 2;
    const calls: string[] = [];
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        calls.push(command.constructor.name);
        if (refusals-- > 0) {
          throw new DatabaseResumingException({ message: 'resuming', $metadata: {} });
        }
        return { records: [], columnMetadata: [], numberOfRecordsUpdated: 0 };
      },
    } as unknown as RDSDataClient;
    const target = {
      client,
      resourceArn: 'c',
      secretArn: 's',
      database: 'd',
      resume: { retryDelayMs: 5, maxWaitMs: 1000 },
    };
    await sql`select 1`.execute(new Kysely<unknown>({ dialect: new DataApiDialect(target) }));
    expect(calls).toEqual([
      'ExecuteStatementCommand',
      'ExecuteStatementCommand',
      'ExecuteStatementCommand',
    ]);

    refusals = Number.POSITIVE_INFINITY;
    const patient = new Kysely<unknown>({
      dialect: new DataApiDialect({ ...target, resume: { retryDelayMs: 5, maxWaitMs: 30 } }),
    });
    // Past the budget: an error the HTTP surfaces answer with 503 and Retry-After.
    const failure = await sql`select 1`.execute(patient).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect((failure as DatabaseUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
    expect((failure as Error).cause).toBeInstanceOf(DatabaseResumingException);
  });

  it('rolls the transaction back when a statement fails', async () => {
    const { db, sent } = recordingClient('select 2');
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await sql`select 2`.execute(trx);
      }),
    ).rejects.toThrow('statement failed');
    expect(sent.map((s) => s.command)).toEqual([
      'BeginTransactionCommand',
      'ExecuteStatementCommand',
      'ExecuteStatementCommand',
      'RollbackTransactionCommand',
    ]);
    expect(sent[3]!.input.transactionId).toBe('tx-1');
  });
});
