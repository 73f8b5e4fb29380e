import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer } from '../../functions/local/bundle-server.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs an npm script as a user would, and waits for the URL the server prints. */
async function npmRun(script: string, dataDir: string) {
  const { DATABASE_URL: _url, DB_URI: _uri, ...env } = process.env;
  const child = spawn('npm', ['run', '--silent', script], {
    cwd: repoRoot,
    env: { ...env, BERTH_DATA_DIR: dataDir, BERTH_PORT: '0', BERTH_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), 60_000);
    child.stdout.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return { child, url, exited, output: () => output };
}

/**
 * What systemd, a container runtime or a supervisor does to stop the
 * server: SIGTERM to the process it started, which is npm.
 */
describe('stopping the server the way a supervisor does', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-signals-'));
    await bundleServer();
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it.each(['start', 'start:prod'])(
    '`npm run %s` stops on SIGTERM to npm, lets go of the data directory, and starts again on it',
    async (script) => {
      const dataDir = join(work, script.replace(':', '-'));
      const first = await npmRun(script, dataDir);
      expect((await fetch(`${first.url}/v2/`)).status).toBe(401);
      expect(existsSync(join(dataDir, 'berth.lock'))).toBe(true);
      first.child.kill('SIGTERM');
      await first.exited;
      expect(first.output()).toContain('SIGTERM received, shutting down');
      // Nothing is left answering on the port or holding the lock.
      await expect(fetch(`${first.url}/v2/`)).rejects.toThrow();
      expect(existsSync(join(dataDir, 'berth.lock'))).toBe(false);
      const second = await npmRun(script, dataDir);
      expect((await fetch(`${second.url}/v2/`)).status).toBe(401);
      second.child.kill('SIGTERM');
      await second.exited;
    },
  );
});
