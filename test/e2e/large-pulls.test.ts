import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

/** How many of the process's open files are blobs (sockets come and go with connections). */
async function openBlobFiles(pid: number): Promise<number> {
  const fds = await readdir(`/proc/${pid}/fd`);
  const targets = await Promise.all(
    fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')),
  );
  return targets.filter((target) => target.includes('/blobs/')).length;
}

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Blobs of a few MiB and more leave the Node server straight from their file, in reused buffers. */
describe('large blob pulls from the local server', () => {
  let work: string;
  let server: ServerProcess;
  const blob = randomBytes(24 * 1024 * 1024 + 12_345);
  const digest = digestOf(blob);
  const url = () => `${server.url}/v2/big/app/blobs/${digest}`;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-e2e-pulls-'));
    server = await startServerProcess({
      BERTH_DATA_DIR: join(work, 'data'),
      BERTH_ACCESS_CONTROL: 'false',
    });
    const pushed = await fetch(`${server.url}/v2/big/app/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: blob,
    });
    expect(pushed.status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('sends every byte of the blob, with its length and digest', async () => {
    const response = await fetch(url());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(blob.byteLength));
    expect(response.headers.get('docker-content-digest')).toBe(digest);
    expect(Buffer.from(await response.arrayBuffer()).equals(blob)).toBe(true);
  });

  it('sends exactly the range asked for', async () => {
    const [start, end] = [1_000_003, 9_437_183];
    const response = await fetch(url(), { headers: { Range: `bytes=${start}-${end}` } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${blob.byteLength}`);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.equals(blob.subarray(start, end + 1))).toBe(true);
  });

  it('lets go of the file when the client goes away mid-pull, and serves the next pull whole', async () => {
    // Prepare: the server holds no blob open at rest.
    expect(await openBlobFiles(server.pid)).toBe(0);

    // Act: read the first chunk of a pull, then hang up.
    const aborted = new AbortController();
    const response = await fetch(url(), { signal: aborted.signal });
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    expect(await openBlobFiles(server.pid)).toBeGreaterThan(0);
    aborted.abort();
    await reader.closed.catch(() => undefined);

    // Assess
    await until(async () => (await openBlobFiles(server.pid)) === 0);
    const again = await fetch(url());
    expect(Buffer.from(await again.arrayBuffer()).equals(blob)).toBe(true);
  });
});
