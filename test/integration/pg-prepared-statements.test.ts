import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../../shared/adapters/sql/postgres-database.js';
import { prepareStatementsOn } from '../../shared/adapters/sql/pg-prepared-statements.js';
import { skipUnlessAvailable } from '../support/harness.js';
import { createScratchDatabase } from '../support/postgres.js';

const databaseUrl = process.env.DATABASE_URL;
const skip = skipUnlessAvailable(Boolean(databaseUrl), 'DATABASE_URL (PostgreSQL)');

describe.skipIf(skip)('statements on PostgreSQL, prepared once per connection', () => {
  let scratch: { url: string; drop: () => Promise<void> };
  let client: pg.Client;
  beforeAll(async () => {
    scratch = await createScratchDatabase(databaseUrl!);
  });
  afterAll(() => scratch.drop());
  beforeEach(async () => {
    client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    await client.query('drop table if exists item');
    await client.query('create table item (id bigint primary key, name text not null)');
  });
  afterEach(() => client.end());

  const prepared = async () =>
    (
      await client.query<{ statement: string }>(
        "select statement from pg_prepared_statements where name like 'berth_%' order by name",
      )
    ).rows.map((r) => r.statement);

  it('prepares each distinct statement once, and answers as an unnamed one would', async () => {
    // Prepare
    prepareStatementsOn(client);
    await client.query('insert into item (id, name) values ($1, $2), ($3, $4)', [1, 'a', 2, 'b']);

    // Act
    const answers = [];
    for (let i = 0; i < 3; i++) {
      answers.push((await client.query('select name from item where id = $1', [2])).rows);
    }

    // Assess
    expect(answers).toEqual([[{ name: 'b' }], [{ name: 'b' }], [{ name: 'b' }]]);
    expect(await prepared()).toEqual([
      'insert into item (id, name) values ($1, $2), ($3, $4)',
      'select name from item where id = $1',
    ]);
  });

  it('prepares no more than its capacity; later statements run unnamed', async () => {
    prepareStatementsOn(client, 1);

    await client.query('select 1 as one where $1::int = 1', [1]);
    const second = await client.query('select 2 as two where $1::int = 1', [1]);

    expect(second.rows).toEqual([{ two: 2 }]);
    expect(await prepared()).toEqual(['select 1 as one where $1::int = 1']);
  });

  it('prepares a statement afresh when its table changed under it', async () => {
    // Prepare
    prepareStatementsOn(client);
    await client.query("insert into item (id, name) values (1, 'a')");
    const everything = 'select * from item where id = $1';
    await client.query(everything, [1]);
    await client.query('alter table item add column extra text');

    // Act: the server refuses the old statement once; the next run prepares it again.
    const refused = await client.query(everything, [1]).then(
      () => undefined,
      (error: unknown) => error,
    );
    const after = await client.query(everything, [1]);

    // Assess
    expect(refused).toMatchObject({ code: '0A000' });
    expect(after.rows).toEqual([{ id: '1', name: 'a', extra: null }]);
  });

  it('is what every pooled connection of the PostgreSQL adapter does', async () => {
    // Prepare
    const db = await openPostgresDatabase(scratch.url, { poolSize: 1 });
    try {
      // Act
      for (let i = 0; i < 2; i++) await db.selectFrom('blob').select('size').execute();

      // Assess: asked on the one connection the pool has.
      const { rows } = await sql<{ statement: string }>`
        select statement from pg_prepared_statements`.execute(db);
      expect(rows.map((r) => r.statement)).toContain('select "size" from "blob"');
    } finally {
      await db.destroy();
    }
  });
});
