import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { S3BlobStore } from '../shared/adapters/blob/s3-blob-store.js';
import type { BlobStore } from '../shared/ports/blob-store.js';
import { DEFAULT_REPLICATION, runReplication } from '../shared/workers/replication.js';
import { startTestRegistry, type TestRegistry } from '../test/support/harness.js';
import { startTestS3, type TestS3 } from '../test/support/s3.js';
import { V2Client } from '../test/support/v2-client.js';

/**
 * `npm run bench` (or `npm run bench:replication`): geo-replication on this
 * machine. Throughput of one worker copying one blob at a time, directory to
 * directory and S3 to S3 (two s3rver instances, so the bytes stream through
 * the worker as between two S3 endpoints); the lag after a burst of pushes
 * (until no copy is pending, four copies at a time); and a backfill of
 * 10,000 small blobs stored before replication was on. Sizes:
 * BENCH_REPLICATION_MIB (total per throughput run, default 512),
 * BENCH_BACKFILL_BLOBS (default 10000).
 */
const MiB = 1024 * 1024;
const totalMiB = Number(process.env.BENCH_REPLICATION_MIB ?? 512);
const backfillBlobs = Number(process.env.BENCH_BACKFILL_BLOBS ?? 10_000);
const BLOB_MIB = 32;

interface Figure {
  workload: string;
  seconds: number;
  detail: string;
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function s3Store(s3: TestS3, bucket: string): Promise<BlobStore> {
  await s3.createBucket(bucket);
  return new S3BlobStore({ client: s3.client, bucket, prefix: 'bench', redirects: false });
}

/** Pushes `count` random blobs of `size` bytes, one repository, through `/v2`. */
async function pushBlobs(t: TestRegistry, count: number, size: number): Promise<void> {
  const client = new V2Client(t.app);
  for (let i = 0; i < count; i++) await client.pushBlob('bench/blobs', randomBytes(size));
}

async function pending(t: TestRegistry): Promise<number> {
  return (await t.db.selectFrom('blob_replication').select('digest').execute()).length;
}

async function throughput(label: string, stores?: () => Promise<Map<string, BlobStore>>) {
  const made = stores ? await stores() : null;
  const t = await startTestRegistry({
    storage: 'fs',
    extraLocations: ['second'],
    replicateTo: ['local', 'second'],
    ...(made
      ? {
          localStore: made.get('local')!,
          wrapStore: (n, s) => (n === 'second' ? made.get('second')! : s),
        }
      : {}),
  });
  try {
    const count = Math.max(1, Math.round(totalMiB / BLOB_MIB));
    await pushBlobs(t, count, BLOB_MIB * MiB);
    const start = process.hrtime.bigint();
    const run = await runReplication(t.workers.replication, {
      ...DEFAULT_REPLICATION,
      concurrency: 1,
    });
    const took = seconds(start);
    if (run.placed !== count || (await pending(t)) !== 0) {
      throw new Error(`${label}: ${run.placed} of ${count} copies placed`);
    }
    const mbps = (count * BLOB_MIB * MiB) / 1e6 / took;
    return {
      workload: `throughput, ${label}`,
      seconds: took,
      detail: `${count} x ${BLOB_MIB} MiB, ${mbps.toFixed(0)} MB/s per worker`,
    };
  } finally {
    await t.close();
  }
}

async function burstLag(): Promise<Figure> {
  const t = await startTestRegistry({
    storage: 'fs',
    extraLocations: ['second'],
    replicateTo: ['local', 'second'],
  });
  try {
    const burst = 500;
    await pushBlobs(t, burst, 64 * 1024);
    const start = process.hrtime.bigint();
    await runReplication(t.workers.replication, DEFAULT_REPLICATION);
    const took = seconds(start);
    if ((await pending(t)) !== 0) throw new Error('burst: copies still pending');
    return {
      workload: 'lag after a burst of 500 pushes (64 KiB)',
      seconds: took,
      detail: `${(burst / took).toFixed(0)} copies/s at 4 at a time`,
    };
  } finally {
    await t.close();
  }
}

async function backfill(): Promise<Figure> {
  const before = await startTestRegistry({ storage: 'fs', extraLocations: ['second'] });
  const after = await startTestRegistry({ shareWith: before, replicateTo: ['local', 'second'] });
  try {
    await pushBlobs(before, backfillBlobs, 1024);
    const start = process.hrtime.bigint();
    let runs = 0;
    while ((await pending(after)) > 0 || runs === 0 || !(await backfillDone(after))) {
      await runReplication(after.workers.replication, DEFAULT_REPLICATION);
      runs += 1;
    }
    const took = seconds(start);
    return {
      workload: `backfill of ${backfillBlobs} blobs (1 KiB)`,
      seconds: took,
      detail: `${runs} runs, ${(backfillBlobs / took).toFixed(0)} blobs/s queued and copied`,
    };
  } finally {
    await after.close();
    await before.close();
  }
}

async function backfillDone(t: TestRegistry): Promise<boolean> {
  const row = await t.db
    .selectFrom('replication_location')
    .select('backfill_done')
    .where('location', '=', 'second')
    .executeTakeFirst();
  return row?.backfill_done === true;
}

async function main() {
  const figures: Figure[] = [];
  const step = async (label: string, work: () => Promise<Figure>) => {
    process.stdout.write(`replication: ${label}... `);
    figures.push(await work());
    console.log('done');
  };
  await step('directory to directory', () => throughput('directory to directory'));
  const servers: TestS3[] = [];
  try {
    await step('S3 to S3', () =>
      throughput('S3 to S3 (two s3rver)', async () => {
        const [east, west] = await Promise.all([startTestS3(), startTestS3()]);
        servers.push(east, west);
        return new Map([
          ['local', await s3Store(east, 'east')],
          ['second', await s3Store(west, 'west')],
        ]);
      }),
    );
  } finally {
    for (const s of servers) await s.close();
  }
  await step('burst', burstLag);
  await step('backfill', backfill);
  console.log(`\n${'replication'.padEnd(48)}${'seconds'.padStart(9)}  detail`);
  for (const f of figures) {
    console.log(`${f.workload.padEnd(48)}${f.seconds.toFixed(2).padStart(9)}  ${f.detail}`);
  }
  await mkdir('.bench', { recursive: true });
  await writeFile(
    '.bench/replication.json',
    JSON.stringify({ date: new Date().toISOString(), figures }, null, 2),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
