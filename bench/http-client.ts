import { Pool } from 'undici';

/** A registry under measurement: where it listens, what every request carries, its process. */
export interface Target {
  name: string;
  baseUrl: string;
  headers: Record<string, string>;
  pid: number;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * Keep-alive connections to one registry, enough for the busiest workload.
 * undici's pool costs far less per request than `fetch`, and nothing here
 * hashes what comes back, so the client stays out of the figures.
 */
export function clientFor(target: Target, connections = 16) {
  const pool = new Pool(target.baseUrl, { connections, pipelining: 1 });
  async function send(
    method: string,
    path: string,
    options: { body?: string | Buffer; headers?: Record<string, string>; expect: number },
  ): Promise<Answer> {
    const response = await pool.request({
      method: method as 'GET',
      path,
      headers: { ...target.headers, ...options.headers },
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    if (response.statusCode !== options.expect) {
      throw new Error(
        `${target.name}: ${method} ${path}: expected ${options.expect}, got ${response.statusCode} ${body.toString().slice(0, 300)}`,
      );
    }
    return { status: response.statusCode, headers: response.headers, body };
  }
  return { send, close: () => pool.close() };
}

export type Client = ReturnType<typeof clientFor>;

/** Runs `count` jobs over `clients` concurrent loops; returns the seconds it took. */
export async function runConcurrently(
  count: number,
  clients: number,
  job: (index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) await job(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}
