import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { PGliteDialect } from '../../shared/adapters/sql/pglite-dialect.js';
import { migrateToLatest, migrator } from '../../shared/adapters/sql/migrate.js';

describe('migration 0016: each manifest blob link carries its repository', () => {
  const db = new Kysely<unknown>({ dialect: new PGliteDialect(new PGlite()) });
  afterAll(() => db.destroy());

  it('fills the repository of links made before it, and indexes digest with repository', async () => {
    // Prepare: the schema as the release before left it, with two repositories sharing a layer.
    const { error } = await migrator(db).migrateTo('0015-console-sessions');
    expect(error).toBeUndefined();
    for (const statement of [
      sql`insert into repository (id, name, created_at_ms) values (1, 'a/one', 0), (2, 'b/two', 0)`,
      sql`insert into blob (digest, size, created_at_ms)
        values ('sha256:layer', 10, 0), ('sha256:own', 5, 0)`,
      sql`insert into manifest (id, repository_id, digest, media_type, size, created_at_ms)
        values (7, 1, 'sha256:m1', 'application/vnd.oci.image.manifest.v1+json', 2, 0),
               (8, 2, 'sha256:m2', 'application/vnd.oci.image.manifest.v1+json', 2, 0)`,
      sql`insert into manifest_blob (manifest_id, digest)
        values (7, 'sha256:layer'), (7, 'sha256:own'), (8, 'sha256:layer')`,
    ])
      await statement.execute(db);

    // Act
    await migrateToLatest(db);

    // Assess
    const { rows } = await sql<{ manifest_id: number; digest: string; repository_id: number }>`
      select manifest_id::int, digest, repository_id::int from manifest_blob
      order by manifest_id, digest`.execute(db);
    expect(rows).toEqual([
      { manifest_id: 7, digest: 'sha256:layer', repository_id: 1 },
      { manifest_id: 7, digest: 'sha256:own', repository_id: 1 },
      { manifest_id: 8, digest: 'sha256:layer', repository_id: 2 },
    ]);
    const indexes = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where tablename = 'manifest_blob'`.execute(db);
    expect(indexes.rows.map((r) => r.indexdef).join('\n')).toMatch(/\(digest, repository_id\)/);
    await expect(
      sql`insert into manifest_blob (manifest_id, digest) values (8, 'sha256:own')`.execute(db),
    ).rejects.toMatchObject({ code: '23502' });
  });
});
