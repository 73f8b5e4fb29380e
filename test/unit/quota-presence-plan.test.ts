import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../shared/adapters/sql/embedded-database.js';
import { presenceQuery, type Scope } from '../../shared/adapters/sql/quota-accounting.js';
import type { Database } from '../../shared/adapters/sql/schema.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of a plan, depth first. */
function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
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

  async function genericPlan(scope: Scope): Promise<PlanNode[]> {
    const compiled = presenceQuery(scope, digests).compile(db);
    const { rows } = await sql<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>`
      explain (generic_plan, format json) ${sql.raw(compiled.sql)}`.execute(db);
    return nodesOf(rows[0]!['QUERY PLAN'][0].Plan);
  }

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
