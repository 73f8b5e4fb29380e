import { PGlite } from '@electric-sql/pglite';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PGliteStatements } from '../../shared/adapters/sql/pglite-statements.js';

const preparedNames = async (statements: PGliteStatements): Promise<string[]> =>
  (
    await statements.run<{ name: string }>(
      "select name from pg_prepared_statements where name like 'berth_%' order by name",
      [],
    )
  ).rows.map((row) => row.name);

describe('statements on the embedded database, prepared once and run as one batch', () => {
  // One database for every case (a new one takes seconds); each case starts with no statements and a new table.
  let pglite: PGlite;
  beforeAll(() => {
    pglite = new PGlite();
  });
  beforeEach(async () => {
    await pglite.exec(`
      deallocate all;
      drop table if exists item;
      create table item (
        id bigint primary key, name text not null, body bytea, tags text[],
        doc jsonb, ok boolean, at timestamptz, size numeric
      )`);
  });
  afterAll(async () => {
    await pglite.close();
  });

  it('gives exactly the rows PGlite.query gives, on the first run and on every later one', async () => {
    // Prepare
    const statements = new PGliteStatements(pglite);
    const insert =
      'insert into item (id, name, body, tags, doc, ok, at, size) values ($1, $2, $3, $4, $5, $6, $7, $8)';
    const row = [
      9007199254740991n,
      'ünïcode',
      new Uint8Array([0, 1, 255]),
      ['a', 'b,c'],
      { nested: [1, null] },
      true,
      new Date('2026-12-07T15:00:00.123Z'),
      '12.50',
    ];
    await statements.run(insert, row);
    await statements.run(insert, [2, 'nulls', null, null, null, null, null, null]);
    const select = 'select * from item where id = any($1::bigint[]) order by id';

    // Act
    const first = await statements.run(select, [[2, 9007199254740991n]]);
    const again = await statements.run(select, [[2, 9007199254740991n]]);
    const reference = await pglite.query(select, [[2, 9007199254740991n]]);

    // Assess
    expect(first.rows).toEqual(reference.rows);
    expect(again.rows).toEqual(reference.rows);
    expect(first.rows).toHaveLength(2);
    expect(await preparedNames(statements)).toHaveLength(3);
  });

  it('answers in the shape PGlite.query answers: fields, command and counts, bytes of any size', async () => {
    // Prepare
    const statements = new PGliteStatements(pglite);
    const big = new Uint8Array(70_000).map((_, i) => (i * 7) % 256);
    const insert = 'insert into item (id, name, body) values ($1, $2, $3), ($4, $5, $6)';
    const values = [1, 'größe €', big, 2, '', new Uint8Array(0)];

    // Act
    const written = await statements.run(insert, values);
    const read = await statements.run('select id, name, body from item order by id', []);
    const reference = await pglite.query('select id, name, body from item order by id');
    const missing = await statements.run('select id from item where id = $1', [99]);
    const deleted = await statements.run('delete from item where id = $1', [2]);

    // Assess
    expect({ ...read }).toEqual({ ...reference, rows: read.rows });
    expect(read.rows).toEqual([
      { id: 1, name: 'größe €', body: big },
      { id: 2, name: '', body: new Uint8Array(0) },
    ]);
    expect(read.rows[0]!).toMatchObject({ body: expect.any(Uint8Array) });
    expect(written).toMatchObject({ affectedRows: 2, rowCount: 2, command: 'INSERT', rows: [] });
    expect(missing).toMatchObject({ affectedRows: 0, rowCount: 0, command: 'SELECT', rows: [] });
    expect(deleted).toMatchObject({ affectedRows: 1, rowCount: 1, command: 'DELETE' });
  });

  it('counts the rows a write touched, as PGlite.query does', async () => {
    const statements = new PGliteStatements(pglite);
    await statements.run("insert into item (id, name) values (1, 'a'), (2, 'b'), (3, 'c')", []);

    const updated = await statements.run('update item set ok = true where id <> $1', [2]);

    expect(updated.affectedRows).toBe(2);
  });

  it('keeps nothing of a statement once it has answered: the heap stays flat over 20,000 runs', async () => {
    // Prepare: a warm statement and a collector this test can call.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const statements = new PGliteStatements(pglite);
    await statements.run('insert into item (id, name, doc) values (1, $1, $2)', [
      'x'.repeat(200),
      '{}',
    ]);
    const select = 'select id, name, doc from item where id = $1';
    await statements.run(select, [1]);
    gc();
    const before = process.memoryUsage().heapUsed;

    // Act
    for (let i = 0; i < 20_000; i++) await statements.run(select, [1]);
    gc();

    // Assess: PGlite's own reader kept every parsed reply (about 10 MiB here).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(2 * 1024 * 1024);
  });

  it('keeps at most its capacity of statements, closing the least recently used', async () => {
    // Prepare
    const statements = new PGliteStatements(pglite, 2);
    await statements.run('select 1 as one', []);
    await statements.run('select 2 as two', []);
    await statements.run('select 1 as one', []);

    // Act: a third statement evicts the one used longest ago ("select 2").
    await statements.run('select 3 as three', []);

    // Assess: the listing itself is a statement too, and evicts once more before it runs.
    expect(statements.size).toBe(2);
    expect(await preparedNames(statements)).toHaveLength(2);
    expect((await statements.run('select 2 as two', [])).rows).toEqual([{ two: 2 }]);
  });

  it('closes evicted statements inside a transaction, even a failed one, and a rollback still undoes the writes', async () => {
    // Prepare
    const statements = new PGliteStatements(pglite, 1);
    await statements.run('begin', []);
    await statements.run("insert into item (id, name) values (1, 'a')", []);

    // Act: each statement evicts the one before, inside the transaction; the last fails and aborts it.
    await statements.run("insert into item (id, name) values (2, 'b')", []);
    await expect(
      statements.run("insert into item (id, name) values (1, 'again')", []),
    ).rejects.toMatchObject({
      code: '23505',
    });
    await statements.run('rollback', []);

    // Assess
    expect((await statements.run('select count(*)::int as n from item', [])).rows).toEqual([
      { n: 0 },
    ]);
    expect(await preparedNames(statements)).toHaveLength(1);
  });

  it('reports Postgres errors with their SQLSTATE and stays usable, caching nothing that failed to parse', async () => {
    const statements = new PGliteStatements(pglite);

    await expect(statements.run('select nope from item', [])).rejects.toMatchObject({
      code: '42703',
    });
    await expect(statements.run('insert into item (id) values ($1)', [1])).rejects.toMatchObject({
      code: '23502',
    });

    expect(statements.size).toBe(1);
    expect((await statements.run('select count(*)::int as n from item', [])).rows).toEqual([
      { n: 0 },
    ]);
  });

  it('prepares a statement afresh when its table changed under it', async () => {
    // Prepare
    const statements = new PGliteStatements(pglite);
    await statements.run("insert into item (id, name) values (1, 'a')", []);
    const everything = 'select * from item';
    await statements.run(everything, []);
    await statements.run('alter table item add column extra text', []);

    // Act: Postgres refuses the old plan once; the next run prepares again.
    const refused = await statements.run(everything, []).then(
      () => undefined,
      (error: unknown) => error,
    );
    const after = await statements.run(everything, []);

    // Assess
    expect(refused).toMatchObject({ code: '0A000' });
    expect(after.rows[0]).toHaveProperty('extra', null);
  });

  it('runs statements that cannot be prepared (transaction control, DDL) as they come', async () => {
    const statements = new PGliteStatements(pglite);

    await statements.run('create index item_name on item (name)', []);
    const analyzed = await statements.run('analyze item', []);

    expect(analyzed.rows).toEqual([]);
    expect(await preparedNames(statements)).toHaveLength(1);
  });
});
