import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../shared/adapters/sql/embedded-database.js';
import { migrateToLatest } from '../../shared/adapters/sql/migrate.js';
import { PGliteDialect } from '../../shared/adapters/sql/pglite-dialect.js';
import {
  countNewContentQuery,
  newContentQuery,
  presenceQuery,
  type Scope,
} from '../../shared/adapters/sql/quota-accounting.js';
import type { Database } from '../../shared/adapters/sql/schema.js';
import { SqlMetadataStore } from '../../shared/adapters/sql/sql-metadata-store.js';

/**
 * The hot statements run prepared, and after a few runs Postgres keeps one
 * generic plan for each, made without the parameters' values. These tests
 * read that plan (`explain (generic_plan)`) on tables grown the way a busy
 * registry grows them: a plan that reads a whole table there costs more
 * with every push.
 */

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of a plan, depth first. */
function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

async function genericPlanOf(db: Kysely<Database>, query: string): Promise<PlanNode[]> {
  const { rows } = await sql<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>`
    explain (generic_plan, format json) ${sql.raw(query)}`.execute(db);
  return nodesOf(rows[0]!['QUERY PLAN'][0].Plan);
}

const CONTENT_TABLES = new Set(['manifest', 'manifest_blob']);

/**
 * Every manifest push asks which of its digests its repository and its
 * namespace already hold. The statements run prepared, on a generic plan,
 * so the plan Postgres keeps must probe the digest indexes, never read a
 * namespace's every link: that cost grows with each push.
 */
describe('quota presence checks', () => {
  let db: Kysely<Database>;
  const MANIFESTS = 1500;
  // Most in one busy repository, as a CI pipeline pushes; a few elsewhere in the namespace.
  const REPOSITORY_OF = sql.raw('case i % 100 when 7 then 2 when 9 then 3 else 1 end');

  beforeAll(async () => {
    db = await openEmbeddedDatabase(null);
    await sql`insert into account (id, name, kind, created_at_ms) values (1, 'big', 'organization', 0)`.execute(
      db,
    );
    await sql`insert into repository (id, name, namespace_id, created_at_ms)
      values (1, 'big/one', 1, 0), (2, 'big/two', 1, 0), (3, 'big/three', 1, 0)`.execute(db);
    await sql`insert into blob (digest, size, created_at_ms)
      select 'sha256:config-' || i, 100, 0 from generate_series(1, ${MANIFESTS}) i
      union all select 'sha256:layer', 1000, 0`.execute(db);
    await sql`insert into manifest (id, repository_id, digest, media_type, size, created_at_ms)
      select i, ${REPOSITORY_OF}, 'sha256:manifest-' || i, 'application/vnd.oci.image.manifest.v1+json', 10, 0
      from generate_series(1, ${MANIFESTS}) i`.execute(db);
    await sql`insert into manifest_blob (manifest_id, digest, repository_id)
      select i, 'sha256:config-' || i, ${REPOSITORY_OF} from generate_series(1, ${MANIFESTS}) i
      union all select i, 'sha256:layer', ${REPOSITORY_OF} from generate_series(1, ${MANIFESTS}) i`.execute(
      db,
    );
    await sql`analyze`.execute(db);
  });
  afterAll(() => db.destroy());

  const digests = ['sha256:layer', 'sha256:config-7', 'sha256:manifest-9', 'sha256:new'];

  const genericPlan = (scope: Scope) =>
    genericPlanOf(db, presenceQuery(scope, digests).compile(db).sql);

  it.each<[string, Scope]>([
    ['a repository', { repositoryId: 1 }],
    ['a namespace', { namespaceId: 1 }],
    ['a namespace but one repository', { namespaceId: 1, exceptRepositoryId: 2 }],
  ])('in %s probe the digest indexes in the plan kept for them', async (_label, scope) => {
    const nodes = await genericPlan(scope);
    const contentScans = nodes.filter((n) => CONTENT_TABLES.has(n['Relation Name'] ?? ''));
    expect(contentScans.length).toBeGreaterThan(0);
    for (const scan of contentScans) {
      expect(scan['Node Type']).toMatch(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/);
    }
  });

  // A push's own digest and its blobs', with their sizes: what a manifest push asks about.
  const items = digests.map((digest) => ({ digest, size: 1 }));
  const grows = { repository: true, namespace: true };

  it.each<[string, () => string]>([
    ['finds', () => newContentQuery(1, 1, items).compile(db).sql],
    ['counts', () => countNewContentQuery(1, 1, items, grows)!.compile(db).sql],
  ])(
    'the statement that %s what is new to a repository and its namespace probes the digest indexes',
    async (_label, statement) => {
      const nodes = await genericPlanOf(db, statement());
      const contentScans = nodes.filter((n) => CONTENT_TABLES.has(n['Relation Name'] ?? ''));
      expect(contentScans.length).toBeGreaterThan(0);
      for (const scan of contentScans) {
        expect(scan['Node Type']).toMatch(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/);
      }
    },
  );

  it('find what is new to a repository, and which of it is new to the namespace', async () => {
    const fresh = async (repositoryId: number) =>
      (await newContentQuery(1, repositoryId, items).execute(db)).rows
        .map((r) => `${r.digest}${r.to_namespace ? ' (new to the namespace)' : ''}`)
        .sort();
    expect(await fresh(1)).toEqual([
      'sha256:config-7',
      'sha256:manifest-9',
      'sha256:new (new to the namespace)',
    ]);
    expect(await fresh(3)).toEqual(['sha256:config-7', 'sha256:new (new to the namespace)']);
  });

  it('find what the scope holds, and only that', async () => {
    const found = async (scope: Scope) =>
      (await presenceQuery(scope, digests).execute(db)).rows.map((r) => r.digest).sort();
    expect(await found({ repositoryId: 1 })).toEqual(['sha256:layer']);
    expect(await found({ repositoryId: 2 })).toEqual(['sha256:config-7', 'sha256:layer']);
    expect(await found({ repositoryId: 3 })).toEqual(['sha256:layer', 'sha256:manifest-9']);
    expect(await found({ namespaceId: 1 })).toEqual([
      'sha256:config-7',
      'sha256:layer',
      'sha256:manifest-9',
    ]);
    expect(await found({ namespaceId: 1, exceptRepositoryId: 3 })).toEqual([
      'sha256:config-7',
      'sha256:layer',
    ]);
  });
});

/**
 * A manifest GET by tag, and every tag push, look the tag up by name as
 * "no end, or an end later than now". Tags with an end are history (every
 * retag ends one) and expiries to come (`quay.expires-after`), both many.
 */
describe('live tag lookups by name', () => {
  const statements: string[] = [];
  const db = new Kysely<Database>({
    dialect: new PGliteDialect(new PGlite()),
    log: (event) => {
      if (event.level === 'query') statements.push(event.query.sql);
    },
  });
  const store = new SqlMetadataStore(db);
  const NOW = 1_000_000;

  beforeAll(async () => {
    await migrateToLatest(db as Kysely<unknown>);
    await sql`insert into repository (id, name, created_at_ms) values (1, 'ci/app', 0), (2, 'ci/nightly', 0)`.execute(
      db,
    );
    await sql`insert into manifest (id, repository_id, digest, media_type, size, created_at_ms)
      values (1, 1, 'sha256:m1', 'application/vnd.oci.image.manifest.v1+json', 2, 0),
             (2, 2, 'sha256:m2', 'application/vnd.oci.image.manifest.v1+json', 2, 0)`.execute(db);
    // ci/app's latest was pushed 3,000 times (history), ci/nightly tags all expire later.
    await sql`insert into tag (repository_id, name, manifest_id, lifetime_start_ms, lifetime_end_ms)
      select 1, 'latest', 1, i, i + 1 from generate_series(1, 3000) i
      union all select 1, 'latest', 1, 3001, null
      union all select 2, 'n-' || i, 2, i, ${NOW} + i from generate_series(1, 3000) i`.execute(db);
    await sql`analyze`.execute(db);
  });
  afterAll(() => db.destroy());

  async function planOfStoreCall(call: () => Promise<unknown>): Promise<PlanNode[]> {
    statements.length = 0;
    await call();
    const lookup = statements.find((s) => /from "tag"/.test(s));
    expect(lookup).toBeDefined();
    return genericPlanOf(db, lookup!);
  }

  it('probe the tag by name in the plan kept for them, never every tag that ends later', async () => {
    const nodes = await planOfStoreCall(() => store.resolveTag(1, 'latest', NOW));
    const tagScans = nodes.filter(
      (n) => n['Relation Name'] === 'tag' || n['Index Name']?.startsWith('tag'),
    );
    expect(tagScans.length).toBeGreaterThan(0);
    expect(tagScans.map((n) => n['Node Type'])).not.toContain('Seq Scan');
    const indexes = tagScans.flatMap((n) => n['Index Name'] ?? []);
    expect(indexes.length).toBeGreaterThan(0);
    for (const index of indexes) expect(['tag_live_name', 'tag_ended_name']).toContain(index);
  });

  it('find the live row, or the one whose expiry is still to come', async () => {
    expect((await store.resolveTag(1, 'latest', NOW))?.digest).toBe('sha256:m1');
    expect((await store.resolveTag(2, 'n-5', NOW))?.digest).toBe('sha256:m2');
    expect(await store.resolveTag(2, 'n-5', NOW + 5)).toBeNull();
    expect(await store.resolveTag(1, 'missing', NOW)).toBeNull();
  });
});
