import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../shared/adapters/sql/embedded-database.js';
import { MIGRATION_NAMES, migrationsDigest } from '../../shared/adapters/sql/migrate.js';
import type { Database } from '../../shared/adapters/sql/schema.js';

const templates = join('node_modules', '.cache', 'berth');

describe('a new embedded database starts from the installation’s template', () => {
  let work: string;
  const open: Kysely<Database>[] = [];
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-template-'));
  });
  afterAll(async () => {
    await Promise.all(open.map((db) => db.destroy()));
    await rm(work, { recursive: true, force: true });
  });

  it('has the whole schema, its own rows, and a template named for these migrations', async () => {
    // Prepare
    const first = await openEmbeddedDatabase(join(work, 'one'));
    const second = await openEmbeddedDatabase(join(work, 'two'));
    open.push(first, second);

    // Act
    await first
      .insertInto('blob')
      .values({ digest: `sha256:${'a'.repeat(64)}`, size: 1, created_at_ms: 1 })
      .execute();

    // Assess: every migration applied, and nothing shared between the two.
    for (const db of [first, second]) {
      const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
      expect(rows.map((r) => r.name).sort()).toEqual([...MIGRATION_NAMES].sort());
    }
    expect(await first.selectFrom('blob').select('digest').execute()).toHaveLength(1);
    expect(await second.selectFrom('blob').select('digest').execute()).toHaveLength(0);
    const names = await readdir(templates);
    expect(names.some((n) => n.endsWith(`-schema-${migrationsDigest()}`))).toBe(true);
  });

  it('reopens a data directory it made as it left it', async () => {
    const dir = join(work, 'three');
    const db = await openEmbeddedDatabase(dir);
    await db
      .insertInto('blob')
      .values({ digest: `sha256:${'b'.repeat(64)}`, size: 2, created_at_ms: 2 })
      .execute();
    await db.destroy();
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    const again = await openEmbeddedDatabase(dir);
    open.push(again);
    expect(await again.selectFrom('blob').select('size').execute()).toEqual([{ size: 2 }]);
  });
});

describe('the embedded database looks after itself, as autovacuum would', () => {
  it('vacuums and analyzes after writes, so the planner knows how big the tables are', async () => {
    // Prepare: PGlite has no autovacuum; until something analyzes, a table's row count is unknown (-1).
    const work = await mkdtemp(join(tmpdir(), 'berth-maintenance-'));
    const db = await openEmbeddedDatabase(join(work, 'db'), { maintenanceEveryMs: 50 });
    const estimate = async () => {
      const { rows } = await sql<{
        reltuples: number;
      }>`select reltuples from pg_class where relname = 'blob'`.execute(db);
      return Number(rows[0]!.reltuples);
    };
    try {
      expect(await estimate()).toBe(-1);

      // Act
      await db
        .insertInto('blob')
        .values(
          Array.from({ length: 300 }, (_, i) => ({
            digest: `sha256:${i.toString(16).padStart(64, '0')}`,
            size: i,
            created_at_ms: 1,
          })),
        )
        .execute();

      // Assess
      await expect.poll(estimate, { timeout: 5_000, interval: 50 }).toBe(300);
    } finally {
      await db.destroy();
      await rm(work, { recursive: true, force: true });
    }
  });

  it('analyzes a table again once a tenth of it changed, and vacuums it once a fifth is dead', async () => {
    // Prepare: 300 rows, analyzed.
    const work = await mkdtemp(join(tmpdir(), 'berth-maintenance-'));
    const db = await openEmbeddedDatabase(join(work, 'db'), { maintenanceEveryMs: 50 });
    const blobs = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        digest: `sha256:${(from + i).toString(16).padStart(64, '0')}`,
        size: from + i,
        created_at_ms: 1,
      }));
    const stats = async () => {
      const { rows } = await sql<{ reltuples: number; dead: number; vacuumed: boolean }>`
        select c.reltuples::int as reltuples, s.n_dead_tup::int as dead,
          s.last_vacuum is not null as vacuumed
        from pg_class c join pg_stat_user_tables s on s.relid = c.oid
        where c.relname = 'blob'`.execute(db);
      return rows[0]!;
    };
    try {
      await db.insertInto('blob').values(blobs(0, 300)).execute();
      await expect.poll(async () => (await stats()).reltuples, { timeout: 5_000 }).toBe(300);

      // Act: 100 more rows (over 50 + 10% of 300), then 200 of them deleted (over 50 + 20% dead).
      await db.insertInto('blob').values(blobs(300, 100)).execute();
      await expect.poll(async () => (await stats()).reltuples, { timeout: 5_000 }).toBe(400);
      await db.deleteFrom('blob').where('size', '<', 200).execute();

      // Assess
      await expect
        .poll(stats, { timeout: 5_000 })
        .toEqual({ reltuples: 200, dead: 0, vacuumed: true });
    } finally {
      await db.destroy();
      await rm(work, { recursive: true, force: true });
    }
  });
});
