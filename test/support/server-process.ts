import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SERVER_BUNDLE } from '../../functions/local/bundle-server.js';
import { SERVER_ENV, SERVER_NODE_FLAGS } from '../../functions/local/server-command.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  url: string;
  /** `host:port`, as registry clients write it. */
  host: string;
  pid: number;
  output(): string;
  /** Resident memory of the server process, in bytes. */
  rss(): Promise<number>;
  /** Restarts the kernel's peak-RSS count (`VmHWM`) from the current RSS. */
  resetPeakRss(): Promise<void>;
  /** The highest RSS since the last reset, in bytes: exact, unlike sampling. */
  peakRss(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Runs the local server as `npm start` does (the bundle of its sources,
 * which the tests' global setup or the bench writes first), in its own
 * process, and waits for the URL it prints.
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  // Like `npm start` on a fresh machine: embedded Postgres unless the caller names a database.
  if (!existsSync(SERVER_BUNDLE)) {
    throw new Error(`no server bundle at ${SERVER_BUNDLE}: run npm run build:server first`);
  }
  const { DATABASE_URL: _url, DB_URI: _uri, ...inherited } = process.env;
  const child: ChildProcess = spawn(process.execPath, [...SERVER_NODE_FLAGS, SERVER_BUNDLE], {
    cwd: repoRoot,
    env: { ...inherited, ...SERVER_ENV, BERTH_PORT: '0', BERTH_HOST: '127.0.0.1', ...env },

    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const check = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    host: new URL(url).host,
    pid: child.pid!,
    output: () => output,
    rss: () => procStatus(child.pid!, 'VmRSS'),
    resetPeakRss: () => writeFile(`/proc/${child.pid}/clear_refs`, '5'),
    peakRss: () => procStatus(child.pid!, 'VmHWM'),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Calls `/api/v1` of a server process with Basic credentials, as a script would. */
export function serverApi(server: () => { url: string }, credentials: string) {
  const authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server().url}/api/v1${path}`, {
      method,
      headers: { Authorization: authorization, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    // Tests read whatever JSON came back.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, body: (text ? JSON.parse(text) : null) as any };
  };
}
