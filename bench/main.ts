import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createScratchDatabase } from '../test/support/postgres.js';
import { clientFor, type Client, type Target } from './http-client.js';
import {
  pullWithCurl,
  pushWithCurl,
  renewBlobFile,
  writeBlobFile,
  type BlobFile,
} from './large-transfers.js';
import { peakRssMiB, resetPeak, rssMiB } from './process-stats.js';
import {
  blobHeads,
  imageManifest,
  manifestGets,
  pushBlob,
  randomLayer,
  smallImagePush,
  tagPuts,
  tagsListMs,
  type Descriptor,
} from './small-objects.js';
import {
  ADMIN_BASIC,
  BENCH_REPOSITORIES as REPOS,
  startBerth,
  startDistributionTarget,
  type Running,
} from './targets.js';

/**
 * `npm run bench`: Berth (as `npm start` runs it, access control on)
 * against CNCF distribution (Debian's `docker-registry`) on this machine,
 * once on the embedded database and once on PostgreSQL. Both registries run
 * at once and take turns, round by round, in alternating order, so a noisy
 * moment of the machine falls on both; each figure is the median of the
 * rounds. Large blobs move by curl; small requests by a keep-alive client
 * that never hashes. Sizes can be lowered for a quick look (see `SETTINGS`).
 */
const SETTINGS = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  blobMiB: Number(process.env.BENCH_BLOB_MIB ?? 512),
  /** Images per small-push run with one client; the 16-client run pushes twice as many. */
  images: Number(process.env.BENCH_IMAGES ?? 150),
  /** Requests per manifest-GET and blob-HEAD run with one client; 16 clients send twice as many. */
  requests: Number(process.env.BENCH_REQUESTS ?? 1500),
  memoryMiB: Number(process.env.BENCH_MEMORY_MIB ?? 1024),
  /** `embedded`, `postgres` or both (comma-separated). */
  modes: (process.env.BENCH_MODES ?? 'embedded,postgres').split(','),
  postgresUrl:
    process.env.BENCH_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test',
};

interface Metric {
  label: string;
  unit: string;
  /** `absolute`: only the figure matters (a goal in MiB), a ratio of two small numbers says nothing. */
  better: 'higher' | 'lower' | 'absolute';
}

const METRICS = {
  push: { label: `${SETTINGS.blobMiB} MiB push, monolithic PUT`, unit: 'MB/s', better: 'higher' },
  pull: { label: `${SETTINGS.blobMiB} MiB pull`, unit: 'MB/s', better: 'higher' },
  parallelPull: { label: '8 parallel 64 MiB pulls', unit: 'MB/s', better: 'higher' },
  parallelPush: { label: '8 parallel 32 MiB pushes', unit: 'MB/s', better: 'higher' },
  small1: { label: 'small-image push, 1 client', unit: 'images/s', better: 'higher' },
  small16: { label: 'small-image push, 16 clients', unit: 'images/s', better: 'higher' },
  cpu: { label: 'server CPU per small image', unit: 'ms', better: 'lower' },
  get1: { label: 'manifest GET by tag, 1 client', unit: 'req/s', better: 'higher' },
  get16: { label: 'manifest GET by tag, 16 clients', unit: 'req/s', better: 'higher' },
  tag16: { label: 'tag PUT, 16 clients', unit: 'tags/s', better: 'higher' },
  head16: { label: 'blob HEAD, 16 clients', unit: 'req/s', better: 'higher' },
  tagsList: { label: 'tags/list of 50 tags', unit: 'ms', better: 'lower' },
  startFresh: { label: 'start-up, new data dir', unit: 's', better: 'lower' },
  startExisting: { label: 'start-up, existing data dir', unit: 's', better: 'lower' },
  idleRss: { label: 'memory right after start', unit: 'MiB', better: 'lower' },
  transferGrowth: {
    label: `memory growth, ${SETTINGS.memoryMiB} MiB push+pull`,
    unit: 'MiB',
    better: 'absolute',
  },
} satisfies Record<string, Metric>;
type MetricKey = keyof typeof METRICS;
type Samples = Partial<Record<MetricKey, number[]>>;

/** Berth's own: distribution runs without access control, so it has nothing to compare. */
const ACCESS_METRICS = {
  tokens: {
    label: 'token requests (Basic at /v2/auth), 1 client',
    unit: 'req/s',
    better: 'higher',
  },
  basicGets: {
    label: 'manifest GET with Basic credentials, 1 client',
    unit: 'req/s',
    better: 'higher',
  },
} satisfies Record<string, Metric>;

const MIB = 1024 * 1024;
/** A blob's size in decimal megabytes, the unit of the MB/s rows. */
const megabytes = (blob: BlobFile) => (blob.mib * MIB) / 1e6;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** What each registry holds before the rounds start. */
interface Fixture {
  running: Running;
  client: Client;
  layer: Descriptor;
  manifestTags: string[];
  someManifest: Buffer;
  parallelPulls: BlobFile[];
}

function record(samples: Samples, key: MetricKey, value: number) {
  (samples[key] ??= []).push(value);
}

async function prepare(running: Running, files: Files): Promise<Fixture> {
  const { target } = running;
  const client = clientFor(target);
  const layerBytes = randomLayer();
  const layer = await pushBlob(client, target, REPOS.small, layerBytes);
  await pushBlob(client, target, REPOS.tags, layerBytes);
  // A repository of exactly 50 tags for tags/list, and images to GET by tag.
  const tagged = await smallImagePush(client, target, {
    repo: REPOS.tags,
    layer,
    count: 50,
    clients: 4,
    prefix: 'v',
  });
  const manifestTags = tagged.tags;
  const someManifest = imageManifest(
    await pushBlob(client, target, REPOS.small, Buffer.from('{"bench":"tag-put"}')),
    layer,
  );
  for (const blob of files.parallelPulls) await pushWithCurl(client, target, REPOS.large, blob);
  return { running, client, layer, manifestTags, someManifest, parallelPulls: files.parallelPulls };
}

interface Files {
  large: BlobFile;
  parallelPulls: BlobFile[];
  parallelPushes: BlobFile[];
  memory: BlobFile;
}

async function oneRound(fixture: Fixture, files: Files, round: number, samples: Samples) {
  const { client, running } = fixture;
  const target: Target = running.target;
  const salt = `${target.name}-${round}`;

  const large = await renewBlobFile(files.large, salt);
  record(
    samples,
    'push',
    megabytes(large) / (await pushWithCurl(client, target, REPOS.large, large)),
  );
  record(samples, 'pull', megabytes(large) / (await pullWithCurl(target, REPOS.large, large)));

  let started = performance.now();
  await Promise.all(fixture.parallelPulls.map((blob) => pullWithCurl(target, REPOS.large, blob)));
  record(samples, 'parallelPull', totalMB(fixture.parallelPulls) / seconds(started));

  const pushes = await Promise.all(
    files.parallelPushes.map((f, i) => renewBlobFile(f, `${salt}-${i}`)),
  );
  started = performance.now();
  await Promise.all(pushes.map((blob) => pushWithCurl(client, target, REPOS.large, blob)));
  record(samples, 'parallelPush', totalMB(pushes) / seconds(started));

  const one = await smallImagePush(client, target, {
    repo: REPOS.small,
    layer: fixture.layer,
    count: SETTINGS.images,
    clients: 1,
    prefix: `r${round}-one`,
  });
  record(samples, 'small1', one.perSecond);
  record(samples, 'cpu', one.cpuMsPerImage);
  const many = await smallImagePush(client, target, {
    repo: REPOS.small,
    layer: fixture.layer,
    count: SETTINGS.images * 2,
    clients: 16,
    prefix: `r${round}-many`,
  });
  record(samples, 'small16', many.perSecond);

  const gets = { repo: REPOS.tags, tags: fixture.manifestTags };
  record(
    samples,
    'get1',
    await manifestGets(client, { ...gets, count: SETTINGS.requests, clients: 1 }),
  );
  record(
    samples,
    'get16',
    await manifestGets(client, { ...gets, count: SETTINGS.requests * 2, clients: 16 }),
  );
  record(
    samples,
    'tag16',
    await tagPuts(client, {
      repo: REPOS.small,
      manifest: fixture.someManifest,
      count: SETTINGS.images * 2,
      clients: 16,
      prefix: `r${round}-tag`,
    }),
  );
  record(
    samples,
    'head16',
    await blobHeads(client, {
      repo: REPOS.small,
      digest: fixture.layer.digest,
      count: SETTINGS.requests * 2,
      clients: 16,
    }),
  );
  record(
    samples,
    'tagsList',
    await tagsListMs(client, { repo: REPOS.tags, count: 200, expectTags: 50 }),
  );
}

const seconds = (started: number) => (performance.now() - started) / 1000;
const totalMB = (blobs: BlobFile[]) => blobs.reduce((sum, b) => sum + megabytes(b), 0);

/** Token requests and Basic-authenticated reads, each as many as `requests / 5`, one at a time. */
async function accessFigures(fixture: Fixture) {
  const { client } = fixture;
  const count = Math.max(20, Math.floor(SETTINGS.requests / 5));
  const headers = { Authorization: ADMIN_BASIC };
  let started = performance.now();
  for (let i = 0; i < count; i++)
    await client.send('GET', `/v2/auth?service=berth&scope=repository:${REPOS.tags}:pull`, {
      headers,
      expect: 200,
    });
  const tokens = count / seconds(started);
  started = performance.now();
  for (let i = 0; i < count; i++) {
    const tag = fixture.manifestTags[i % fixture.manifestTags.length]!;
    await client.send('GET', `/v2/${REPOS.tags}/manifests/${tag}`, {
      headers: { ...headers, Accept: 'application/vnd.oci.image.manifest.v1+json' },
      expect: 200,
    });
  }
  return { tokens, basicGets: count / seconds(started) };
}

/** How far resident memory rises above where it was while a large layer goes in and out. */
async function transferGrowth(fixture: Fixture, blob: BlobFile): Promise<number> {
  const { target } = fixture.running;
  await resetPeak(target.pid);
  const before = await rssMiB(target.pid);
  await pushWithCurl(fixture.client, target, REPOS.large, blob);
  await pullWithCurl(target, REPOS.large, blob);
  return Math.max(0, (await peakRssMiB(target.pid)) - before);
}

async function benchMode(mode: string, work: string, files: Files) {
  const scratch = mode === 'postgres' ? await createScratchDatabase(SETTINGS.postgresUrl) : null;
  const berth = await startBerth(join(work, `berth-${mode}`), scratch?.url ?? null);
  const distribution = await startDistributionTarget(join(work, `distribution-${mode}`));
  const samples: Record<string, Samples> = { berth: {}, distribution: {} };
  let access: Awaited<ReturnType<typeof accessFigures>>;
  try {
    const fixtures = [await prepare(berth, files), await prepare(distribution, files)];
    for (let round = 0; round < SETTINGS.rounds; round++) {
      const order = round % 2 === 0 ? fixtures : [...fixtures].reverse();
      for (const fixture of order) {
        process.stdout.write(`  ${mode}: round ${round + 1}, ${fixture.running.target.name}\n`);
        await oneRound(fixture, files, round, samples[fixture.running.target.name]!);
      }
    }
    access = await accessFigures(fixtures[0]!);
    for (const fixture of fixtures) {
      const s = samples[fixture.running.target.name]!;
      record(s, 'startFresh', fixture.running.startup.fresh);
      record(s, 'startExisting', fixture.running.startup.existing);
      record(s, 'idleRss', fixture.running.idleRssMiB);
      record(s, 'transferGrowth', await transferGrowth(fixture, files.memory));
      await fixture.client.close();
    }
  } finally {
    await berth.stop();
    await distribution.stop();
    await scratch?.drop();
  }
  return { table: rows(samples), access };
}

function rows(samples: Record<string, Samples>) {
  return (Object.keys(METRICS) as MetricKey[]).map((key) => {
    const metric: Metric = METRICS[key];
    const berth = median(samples.berth![key]!);
    const distribution = median(samples.distribution![key]!);
    // Above 1, Berth is ahead, whichever direction the metric runs.
    const ratio =
      metric.better === 'higher'
        ? berth / distribution
        : metric.better === 'lower'
          ? distribution / berth
          : null;
    return { metric: metric.label, unit: metric.unit, berth, distribution, ratio };
  });
}

const figure = (value: number) =>
  value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);

type ModeResult = Awaited<ReturnType<typeof benchMode>>;

function printTable(mode: string, { table, access }: ModeResult) {
  console.log(`\n### ${mode === 'embedded' ? 'Embedded database' : 'PostgreSQL (DATABASE_URL)'}\n`);
  console.log('| workload | unit | Berth | distribution | Berth vs distribution |');
  console.log('|---|---|---:|---:|---:|');
  for (const row of table) {
    console.log(
      `| ${row.metric} | ${row.unit} | ${figure(row.berth)} | ${figure(row.distribution)} | ${row.ratio === null ? '' : `${row.ratio.toFixed(2)}x`} |`,
    );
  }
  for (const [key, value] of Object.entries(access)) {
    const metric = ACCESS_METRICS[key as keyof typeof ACCESS_METRICS];
    console.log(`| ${metric.label} | ${metric.unit} | ${figure(value)} | (no access control) | |`);
  }
}

/** Whether a PostgreSQL server answers at `url`: a laptop often has none, and the embedded figures stand alone. */
async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), 'berth-bench-'));
  try {
    const files: Files = {
      large: await writeBlobFile(join(work, 'large.bin'), SETTINGS.blobMiB),
      parallelPulls: await Promise.all(
        Array.from({ length: 8 }, (_, i) => writeBlobFile(join(work, `pull-${i}.bin`), 64)),
      ),
      parallelPushes: await Promise.all(
        Array.from({ length: 8 }, (_, i) => writeBlobFile(join(work, `push-${i}.bin`), 32)),
      ),
      memory: await writeBlobFile(join(work, 'memory.bin'), SETTINGS.memoryMiB),
    };
    const results: Record<string, ModeResult> = {};
    for (const mode of SETTINGS.modes) {
      if (mode === 'postgres' && !(await reachable(SETTINGS.postgresUrl))) {
        console.log(
          `postgres: no PostgreSQL answers at ${SETTINGS.postgresUrl}; skipped (set BENCH_DATABASE_URL)`,
        );
        continue;
      }
      console.log(`${mode}: starting both registries`);
      results[mode] = await benchMode(mode, work, files);
    }
    console.log(
      `\nBerth vs CNCF distribution (docker-registry), median of ${SETTINGS.rounds} alternating rounds.` +
        '\nThe last column is above 1 where Berth is ahead. Server CPU counts the registry process only.',
    );
    for (const [mode, table] of Object.entries(results)) printTable(mode, table);
    await mkdir('.bench', { recursive: true });
    await writeFile(
      '.bench/results.json',
      JSON.stringify({ date: new Date().toISOString(), settings: SETTINGS, results }, null, 2),
    );
    console.log('\n(figures also in .bench/results.json)');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
