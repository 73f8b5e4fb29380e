import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Client, Target } from './http-client.js';

/**
 * Large blobs moved by curl, in its own process, so the figures are the
 * registry's and the disk's: Node's client would hash and copy in the
 * same event loop and top out first.
 */
const run = promisify(execFile);
const MiB = 1024 * 1024;

export interface BlobFile {
  path: string;
  digest: string;
  mib: number;
}

async function digestOfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB }))
    hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** A file of random bytes, written block by block so the bench never holds it. */
export async function writeBlobFile(path: string, mib: number): Promise<BlobFile> {
  const file = await open(path, 'w');
  try {
    const block = randomBytes(MiB);
    for (let i = 0; i < mib; i++) {
      block.writeUInt32BE(i, 0);
      await file.write(block);
    }
    // On disk before any registry starts: else the kernel writes these
    // gigabytes back while start-up is being timed, and both registries pay.
    await file.sync();
  } finally {
    await file.close();
  }
  return { path, digest: await digestOfFile(path), mib };
}

/** Changes the file's first bytes, so the next push is a blob the registry has not seen. */
export async function renewBlobFile(blob: BlobFile, salt: string): Promise<BlobFile> {
  const file = await open(blob.path, 'r+');
  try {
    await file.write(Buffer.from(createHash('sha256').update(salt).digest()), 0, 32, 0);
  } finally {
    await file.close();
  }
  return { ...blob, digest: await digestOfFile(blob.path) };
}

function curlHeaders(target: Target): string[] {
  return Object.entries(target.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
}

/** POST, then the whole blob in one monolithic PUT (as containerd pushes). Seconds. */
export async function pushWithCurl(
  client: Client,
  target: Target,
  repo: string,
  blob: BlobFile,
): Promise<number> {
  const started = performance.now();
  const answer = await client.send('POST', `/v2/${repo}/blobs/uploads/`, { expect: 202 });
  const url = new URL(String(answer.headers.location), target.baseUrl);
  url.searchParams.set('digest', blob.digest);
  const { stdout } = await run('curl', [
    '-sS',
    '-X',
    'PUT',
    '-T',
    blob.path,
    '-H',
    'Content-Type: application/octet-stream',
    // Send at once: curl otherwise waits for a 100-continue that neither registry needs.
    '-H',
    'Expect:',
    ...curlHeaders(target),
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    url.toString(),
  ]);
  if (stdout.trim() !== '201') throw new Error(`${target.name}: blob PUT answered ${stdout}`);
  return (performance.now() - started) / 1000;
}

/** One blob GET into /dev/null, following a redirect as clients do. Seconds. */
export async function pullWithCurl(target: Target, repo: string, blob: BlobFile): Promise<number> {
  const started = performance.now();
  const { stdout } = await run('curl', [
    '-sS',
    '-L',
    ...curlHeaders(target),
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{size_download}',
    `${target.baseUrl}/v2/${repo}/blobs/${blob.digest}`,
  ]);
  const [status, size] = stdout.trim().split(' ');
  if (status !== '200' || Number(size) !== blob.mib * MiB)
    throw new Error(`${target.name}: blob GET answered ${stdout}`);
  return (performance.now() - started) / 1000;
}
