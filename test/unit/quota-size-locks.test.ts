import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../shared/adapters/sql/embedded-database.js';
import { lockSizes } from '../../shared/adapters/sql/quota-accounting.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { RepositoryGoneError } from '../../shared/ports/errors.js';

/** The row versions of both size rows: `xmin` changes whenever a statement writes a row anew. */
async function versions(db: Kysely<Database>) {
  const { rows } = await sql<{ xmin: string }>`
    select xmin::text from quota_repository_size where repository_id = 1
    union all select xmin::text from quota_namespace_size where namespace_id = 1`.execute(db);
  return rows.map((r) => r.xmin);
}

describe('locking the quota size rows of a push', () => {
  let db: Kysely<Database>;

  beforeAll(async () => {
    db = await openEmbeddedDatabase(null);
    await sql`insert into account (id, name, kind, created_at_ms)
      values (1, 'org', 'organization', 0)`.execute(db);
    await sql`insert into repository (id, name, namespace_id, created_at_ms)
      values (1, 'org/app', 1, 0), (2, 'loose', null, 0)`.execute(db);
  });
  afterAll(() => db.destroy());

  it('creates both rows, counted from zero, on the first push', async () => {
    const locked = await db.transaction().execute((trx) => lockSizes(trx, 1));

    expect(locked).toEqual({
      namespaceId: 1,
      repository: { size: 0, backfilled: true },
      namespace: { size: 0, backfilled: true, hasQuota: false },
    });
    expect(await versions(db)).toHaveLength(2);
  });

  it('locks existing rows as they are, writing no new version of either', async () => {
    await sql`update quota_repository_size set size_bytes = 10`.execute(db);
    await sql`update quota_namespace_size set size_bytes = 30`.execute(db);
    const before = await versions(db);

    const locked = await db.transaction().execute(async (trx) => {
      const sizes = await lockSizes(trx, 1);
      // Held: the rows' lock bits name this transaction, their versions do not change.
      const { rows } = await sql<{ locked: number }>`
        select count(*)::int as locked from quota_repository_size
        where repository_id = 1 and xmax = txid_current()::text::xid`.execute(trx);
      return { sizes, held: rows[0]!.locked };
    });

    expect(locked.held).toBe(1);
    expect(locked.sizes.repository.size).toBe(10);
    expect(locked.sizes.namespace?.size).toBe(30);
    expect(await versions(db)).toEqual(before);
  });

  it('locks no namespace row for a repository outside any namespace', async () => {
    const locked = await db.transaction().execute((trx) => lockSizes(trx, 2));

    expect(locked).toEqual({
      namespaceId: null,
      repository: { size: 0, backfilled: true },
      namespace: null,
    });
  });

  it('says the repository is gone when it was deleted before its first push', async () => {
    await expect(db.transaction().execute((trx) => lockSizes(trx, 99))).rejects.toBeInstanceOf(
      RepositoryGoneError,
    );
  });
});
