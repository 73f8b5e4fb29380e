import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../test/support/server-process.js';
import { startDistribution } from './distribution.js';
import {
  BENCH_REPOSITORIES,
  largeBlob,
  smallManifests,
  type Figures,
  type Target,
} from './workloads.js';

/**
 * `npm run bench`: Berth (as `npm start` runs it) against CNCF distribution
 * on this machine, with the same client and workloads. Sizes can be lowered
 * for a quick look: BENCH_BLOB_MIB, BENCH_MANIFESTS.
 */
const blobMiB = Number(process.env.BENCH_BLOB_MIB ?? 512);
const manifestCount = Number(process.env.BENCH_MANIFESTS ?? 2000);
/** Disk writeback makes single large transfers noisy; the median of a few rounds is steadier. */
const blobRounds = Number(process.env.BENCH_BLOB_ROUNDS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(label: string, url: Target): Promise<Figures> {
  process.stdout.write(`${label}: ${blobRounds} x ${blobMiB} MiB blob... `);
  const rounds: Figures[] = [];
  for (let i = 0; i < blobRounds; i++) rounds.push(await largeBlob(url, blobMiB));
  const blob: Figures = {};
  for (const metric of Object.keys(rounds[0]!))
    blob[metric] = median(rounds.map((r) => r[metric]!));
  process.stdout.write(`${manifestCount} manifests... `);
  const manifests = await smallManifests(url, manifestCount);
  console.log('done');
  return { ...blob, ...manifests };
}

const ADMIN = { user: 'admin', password: 'bench-admin-password' };

/**
 * Berth runs with access control, as deployed: the client fetches one token
 * for both repositories, as docker would, and sends it on every request.
 */
async function berthTarget(baseUrl: string): Promise<Target> {
  const query = new URLSearchParams({ service: 'berth' });
  for (const repo of Object.values(BENCH_REPOSITORIES))
    query.append('scope', `repository:${repo}:pull,push`);
  const response = await fetch(`${baseUrl}/v2/auth?${query.toString()}`, {
    headers: {
      Authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`,
    },
  });
  if (!response.ok) throw new Error(`token: ${response.status} ${await response.text()}`);
  const { token } = (await response.json()) as { token: string };
  return { baseUrl, headers: { Authorization: `Bearer ${token}` } };
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), 'berth-bench-'));
  try {
    const berthServer = await startServerProcess({
      BERTH_DATA_DIR: join(work, 'berth'),
      BERTH_SUPERUSER: ADMIN.user,
      BERTH_SUPERUSER_PASSWORD: ADMIN.password,
      BERTH_TOKEN_EXPIRY_SECONDS: '3600',
    });
    let berth: Figures;
    try {
      berth = await measure('berth', await berthTarget(berthServer.url));
    } finally {
      await berthServer.stop();
    }
    await mkdir(join(work, 'distribution'));
    const distributionServer = await startDistribution(join(work, 'distribution'));
    let distribution: Figures;
    try {
      distribution = await measure('distribution', {
        baseUrl: distributionServer.url,
        headers: {},
      });
    } finally {
      await distributionServer.stop();
    }

    const rows = Object.keys(berth).map((metric) => ({
      metric,
      berth: berth[metric]!,
      distribution: distribution[metric]!,
      ratio: berth[metric]! / distribution[metric]!,
    }));
    console.log(
      `\nBerth vs CNCF distribution (docker-registry): ${blobMiB} MiB blob (median of ${blobRounds}), ${manifestCount} manifests, one sequential client`,
    );
    console.log(
      `${'metric'.padEnd(22)}${'berth'.padStart(12)}${'distribution'.padStart(14)}${'berth/dist'.padStart(12)}`,
    );
    for (const row of rows) {
      console.log(
        `${row.metric.padEnd(22)}${row.berth.toFixed(2).padStart(12)}${row.distribution.toFixed(2).padStart(14)}${row.ratio.toFixed(2).padStart(12)}`,
      );
    }
    await mkdir('.bench', { recursive: true });
    await writeFile(
      '.bench/results.json',
      JSON.stringify({ date: new Date().toISOString(), blobMiB, manifestCount, rows }, null, 2),
    );
    console.log(
      '\n(throughput: higher is better; latency: lower is better; figures also in .bench/results.json)',
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
