import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { sql, type Kysely } from 'kysely';
import { MemoryBlobStore } from '../shared/adapters/blob/memory-blob-store.js';
import { openEmbeddedDatabase } from '../shared/adapters/sql/embedded-database.js';
import { openPostgresDatabase } from '../shared/adapters/sql/postgres-database.js';
import type { Database } from '../shared/adapters/sql/schema.js';
import { SqlGarbageStore } from '../shared/adapters/sql/sql-garbage-store.js';
import { SqlPruneStore } from '../shared/adapters/sql/sql-prune-store.js';
import { SqlQuotaStore } from '../shared/adapters/sql/sql-quota-store.js';
import { systemClock } from '../shared/ports/clock.js';
import { MemoryCache } from '../shared/adapters/cache/memory-cache.js';
import { ModelCache } from '../shared/registry/model-cache.js';
import { StorageLocations } from '../shared/registry/storage-locations.js';
import { runAutoprune } from '../shared/workers/autoprune.js';
import { collectGarbage } from '../shared/workers/garbage-collection.js';
import { runQuotaWorker } from '../shared/workers/quota-worker.js';
import { createScratchDatabase } from '../test/support/postgres.js';

/**
 * `npm run bench` (second part): the housekeeping workers over generated
 * metadata, at full size and at a tenth, to show how time and memory grow.
 * On DATABASE_URL's PostgreSQL (a scratch database) when set, else on
 * embedded Postgres in this process. BENCH_HOUSEKEEPING_SCALE lowers the
 * full size for a quick look; BENCH_HOUSEKEEPING_ONLY=<name prefix> runs one.
 */
const fullScale = Number(process.env.BENCH_HOUSEKEEPING_SCALE ?? 1);

interface Figure {
  workload: string;
  scale: number;
  items: number;
  seconds: number;
  peakRssMiB: number;
  peakHeapMiB: number;
}

/** Runs `work`, sampling memory as it goes; memory is the peak above what was in use before. */
async function measured(work: () => Promise<number>) {
  global.gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 20);
  const started = performance.now();
  const items = await work();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const MiB = 1024 * 1024;
  return {
    items,
    seconds,
    peakRssMiB: (peakRss - base.rss) / MiB,
    peakHeapMiB: (peakHeap - base.heapUsed) / MiB,
  };
}

/** 64 hex characters from a SQL expression, for generated digests. */
const hex64 = (expr: string) => sql.raw(`md5(${expr}) || md5('x' || ${expr})`);

async function namespaces(db: Kysely<Database>, prefix: string, count: number) {
  await sql`insert into account (name, kind, created_at_ms)
    select ${prefix} || g, 'organization', 0 from generate_series(1, ${count}) g`.execute(db);
}

/** `repos` repositories spread over the namespaces `<prefix>N`, named `<prefix>N/rG`. */
async function repositories(db: Kysely<Database>, prefix: string, nsCount: number, repos: number) {
  await sql`insert into repository (name, created_at_ms, namespace_id)
    select ${prefix} || ((g - 1) % ${nsCount} + 1) || '/r' || g, 0, a.id
    from generate_series(1, ${repos}) g join account a on a.name = ${prefix} || ((g - 1) % ${nsCount} + 1)`.execute(
    db,
  );
}

async function benchPrune(db: Kysely<Database>, scale: number): Promise<() => Promise<number>> {
  const p = `prune${scale}x`;
  const repos = Math.round(1000 * scale);
  const nsCount = Math.max(1, Math.round(10 * scale));
  await namespaces(db, p, nsCount);
  await repositories(db, p, nsCount, repos);
  await sql`insert into manifest (repository_id, digest, media_type, size, content, created_at_ms)
    select r.id, 'sha256:' || ${hex64('r.id::text')}, 'application/vnd.oci.image.manifest.v1+json', 2, '\\x7b7d'::bytea, 0
    from repository r where r.name like ${`${p}%`}`.execute(db);
  // 100 tags per repository, one a second.
  await sql`insert into tag (repository_id, name, manifest_id, lifetime_start_ms)
    select m.repository_id, 'v' || g, m.id, g * 1000
    from manifest m join repository r on r.id = m.repository_id, generate_series(1, 100) g
    where r.name like ${`${p}%`}`.execute(db);
  const prune = new SqlPruneStore(db);
  const owners = await db
    .selectFrom('account')
    .select('id')
    .where('name', 'like', `${p}%`)
    .execute();
  for (const { id } of owners) {
    await prune.createPolicy(
      {
        uuid: randomUUID(),
        namespaceId: id,
        repositoryId: null,
        policy: { method: 'number_of_tags', value: 10 },
      },
      0,
    );
  }
  return async () => {
    const run = await runAutoprune({ prune, clock: systemClock, newId: randomUUID });
    if (run.pruned !== repos * 90) throw new Error(`pruned ${run.pruned}, expected ${repos * 90}`);
    return repos * 100;
  };
}

async function benchBackfill(db: Kysely<Database>, scale: number): Promise<() => Promise<number>> {
  const p = `quota${scale}x`;
  const repos = Math.round(10_000 * scale);
  const nsCount = Math.max(1, Math.round(100 * scale));
  await namespaces(db, p, nsCount);
  await repositories(db, p, nsCount, repos);
  // Each repository: two manifests sharing a base layer with every other
  // repository, and a layer of its own each.
  await sql`insert into blob (digest, size, created_at_ms)
    values (${`sha256:${'b'.repeat(64)}`}, 50000000, 0) on conflict do nothing`.execute(db);
  await sql`insert into blob (digest, size, created_at_ms)
    select 'sha256:' || ${hex64(`r.id::text || '-' || g`)}, 1000000 + g, 0
    from repository r, generate_series(1, 2) g where r.name like ${`${p}%`}`.execute(db);
  await sql`insert into manifest (repository_id, digest, media_type, size, content, created_at_ms)
    select r.id, 'sha256:' || ${hex64(`'m' || r.id::text || '-' || g`)}, 'application/vnd.oci.image.manifest.v1+json', 500, '\\x7b7d'::bytea, 0
    from repository r, generate_series(1, 2) g where r.name like ${`${p}%`}`.execute(db);
  await sql`insert into manifest_blob (manifest_id, digest, repository_id)
    select m.id, ${`sha256:${'b'.repeat(64)}`}, m.repository_id from manifest m join repository r on r.id = m.repository_id
    where r.name like ${`${p}%`}
    union all
    select m.id, 'sha256:' || ${hex64(`r.id::text || '-' || (row_number() over (partition by r.id order by m.id))`)}, m.repository_id
    from manifest m join repository r on r.id = m.repository_id where r.name like ${`${p}%`}`.execute(
    db,
  );
  await sql`insert into quota_repository_size (repository_id, size_bytes, backfilled)
    select id, 0, false from repository where name like ${`${p}%`}`.execute(db);
  await sql`insert into quota_namespace_size (namespace_id, size_bytes, backfilled)
    select id, 0, false from account where name like ${`${p}%`}`.execute(db);
  const quota = new SqlQuotaStore(db);
  return async () => {
    const counted = await runQuotaWorker({ quota, clock: systemClock });
    if (counted < repos + nsCount) throw new Error(`counted ${counted} sizes`);
    return repos;
  };
}

async function benchGc(db: Kysely<Database>, scale: number): Promise<() => Promise<number>> {
  const p = `gc${scale}x`;
  const blobs = Math.round(100_000 * scale);
  const manifests = blobs / 10;
  await namespaces(db, p, 1);
  await repositories(db, p, 1, Math.max(1, Math.round(100 * scale)));
  // Untagged manifests from long ago, ten blobs each: all of it is garbage.
  await sql`insert into blob (digest, size, created_at_ms)
    select 'sha256:' || ${hex64(`'${p}' || g`)}, 1000, 0 from generate_series(1, ${blobs}) g`.execute(
    db,
  );
  await sql`insert into blob_placement (digest, location, created_at_ms)
    select 'sha256:' || ${hex64(`'${p}' || g`)}, 'local', 0 from generate_series(1, ${blobs}) g`.execute(
    db,
  );
  const repoIds = (
    await db.selectFrom('repository').select('id').where('name', 'like', `${p}%`).execute()
  ).map((r) => r.id);
  await sql`insert into manifest (repository_id, digest, media_type, size, content, created_at_ms)
    select (array[${sql.join(repoIds)}]::bigint[])[(g % ${repoIds.length}) + 1],
      'sha256:' || ${hex64(`'${p}m' || g`)}, 'application/vnd.oci.image.manifest.v1+json', 2, '\\x7b7d'::bytea, 0
    from generate_series(1, ${manifests}) g`.execute(db);
  await sql`insert into manifest_blob (manifest_id, digest, repository_id)
    select m.id, 'sha256:' || ${hex64(`'${p}' || ((m.n - 1) * 10 + k)`)}, m.repository_id
    from (select id, repository_id, row_number() over (order by id) as n from manifest
          where digest in (select 'sha256:' || ${hex64(`'${p}m' || g`)} from generate_series(1, ${manifests}) g)) m,
      generate_series(1, 10) k`.execute(db);
  const storage = new StorageLocations(new Map([['local', new MemoryBlobStore()]]), ['local']);
  return async () => {
    const collected = await collectGarbage(
      {
        garbage: new SqlGarbageStore(db),
        storage,
        cache: new ModelCache(new MemoryCache()),
        clock: systemClock,
      },
      { timeMachineMs: 14 * 86_400_000, graceMs: 3_600_000, batchSize: 500 },
    );
    if (collected.blobs !== blobs || collected.manifests !== manifests) {
      throw new Error(`collected ${JSON.stringify(collected)}`);
    }
    return blobs;
  };
}

const WORKLOADS = [
  { name: 'prune tags (1k repos, 100k tags)', setUp: benchPrune },
  { name: 'quota backfill (10k repos)', setUp: benchBackfill },
  { name: 'garbage collection (100k blobs)', setUp: benchGc },
];

/** A database of its own for each run, so one workload's data is not another's garbage. */
async function withDatabase<T>(use: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const scratch = process.env.DATABASE_URL
    ? await createScratchDatabase(process.env.DATABASE_URL)
    : null;
  const db = scratch ? await openPostgresDatabase(scratch.url) : await openEmbeddedDatabase(null);
  try {
    return await use(db);
  } finally {
    await db.destroy();
    await scratch?.drop();
  }
}

async function main() {
  const figures: Figure[] = [];
  const only = process.env.BENCH_HOUSEKEEPING_ONLY;
  const workloads = WORKLOADS.filter((w) => !only || w.name.startsWith(only));
  for (const workload of workloads) {
    for (const scale of [fullScale / 10, fullScale]) {
      process.stdout.write(`${workload.name} at ${scale}x: generating... `);
      const result = await withDatabase(async (db) => {
        const run = await workload.setUp(db, scale);
        // As autovacuum would have by then: planner statistics for the new rows.
        await sql`analyze`.execute(db);
        process.stdout.write('running... ');
        return measured(run);
      });
      figures.push({ workload: workload.name, scale, ...result });
      console.log(`${result.seconds.toFixed(2)} s`);
    }
  }
  console.log(
    `\nHousekeeping workers on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded Postgres (in this process)'} (setup not timed)`,
  );
  console.log(
    `${'workload'.padEnd(36)}${'scale'.padStart(7)}${'items'.padStart(9)}${'seconds'.padStart(10)}${'items/s'.padStart(10)}${'peak RSS MiB'.padStart(14)}${'peak heap MiB'.padStart(15)}`,
  );
  for (const f of figures) {
    console.log(
      `${f.workload.padEnd(36)}${String(f.scale).padStart(7)}${String(f.items).padStart(9)}${f.seconds.toFixed(2).padStart(10)}${Math.round(
        f.items / f.seconds,
      )
        .toString()
        .padStart(
          10,
        )}${f.peakRssMiB.toFixed(1).padStart(14)}${f.peakHeapMiB.toFixed(1).padStart(15)}`,
    );
  }
  for (const workload of workloads) {
    const [small, full] = figures.filter((f) => f.workload === workload.name);
    console.log(
      `${workload.name}: 10x the data took ${(full!.seconds / small!.seconds).toFixed(1)}x the time`,
    );
  }
  await mkdir('.bench', { recursive: true });
  const previous = await readFile('.bench/results.json', 'utf8').then(
    (text) => JSON.parse(text) as Record<string, unknown>,
    () => ({}),
  );
  await writeFile(
    '.bench/results.json',
    JSON.stringify(
      { ...previous, housekeeping: { date: new Date().toISOString(), figures } },
      null,
      2,
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
