import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleServer, SERVER_BUNDLE } from '../functions/local/bundle-server.js';
import { SERVER_ENV, SERVER_NODE_FLAGS } from '../functions/local/server-command.js';

/**
 * `npm run bench:startup`: how long from typing the command to the first
 * answer on `/v2/`, on a new data directory and on one used before: for
 * `npm start` as a person types it (npm, then the console check and the
 * server bundle of `prestart`, then the server), and for the server alone
 * (`npm run start:prod` without npm: what a supervisor runs).
 */
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.env.BENCH_STARTUP_ROUNDS ?? 3);

const STARTS = {
  'npm start': ['npm', ['start', '--silent']],
  'the server alone': [process.execPath, [...SERVER_NODE_FLAGS, SERVER_BUNDLE]],
} as const;

/** Milliseconds from spawning the command to its first answer on `/v2/`. */
async function timeToFirstAnswer(
  [command, args]: readonly [string, readonly string[]],
  dataDir: string,
): Promise<number> {
  const { DATABASE_URL: _url, DB_URI: _uri, ...env } = process.env;
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: repoRoot,
    // `npm start` sets SERVER_ENV itself; the server alone gets it as a supervisor would give it.
    env: {
      ...env,
      ...SERVER_ENV,
      BERTH_DATA_DIR: dataDir,
      BERTH_PORT: '0',
      BERTH_HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    await fetch(`${url}/v2/`);
    return performance.now() - started;
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main() {
  await bundleServer();
  const work = await mkdtemp(join(tmpdir(), 'berth-bench-startup-'));
  try {
    console.log(`Start-up to the first answer on /v2/ (median of ${rounds}, seconds)`);
    console.log(`${'start'.padEnd(22)}${'new data dir'.padStart(14)}${'existing'.padStart(12)}`);
    for (const [label, start] of Object.entries(STARTS)) {
      const fresh: number[] = [];
      const existing: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const dataDir = join(work, `${label.replace(/\W+/g, '-')}-${i}`);
        fresh.push(await timeToFirstAnswer(start, dataDir));
        existing.push(await timeToFirstAnswer(start, dataDir));
      }
      console.log(
        `${label.padEnd(22)}${(median(fresh) / 1000).toFixed(2).padStart(14)}${(median(existing) / 1000).toFixed(2).padStart(12)}`,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
