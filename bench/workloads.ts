import { createHash, randomBytes } from 'node:crypto';

const MiB = 1024 * 1024;

/** In the superuser's own namespace, so Berth's access control lets the bench push. */
export const BENCH_REPOSITORIES = {
  large: 'admin/bench-large',
  manifests: 'admin/bench-manifests',
};

/** A registry to measure, with the headers every request carries (a Bearer token for Berth). */
export interface Target {
  baseUrl: string;
  headers: Record<string, string>;
}

export interface Figures {
  [metric: string]: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function expectStatus(response: Response, status: number, what: string) {
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status} ${await response.text()}`);
  }
}

/**
 * One large blob pushed the way docker and skopeo push (POST, one streamed
 * PATCH, PUT ?digest=) and pulled back with GET, hashing on both sides. The
 * client repeats one random 4 MiB block so it never holds the blob.
 */
export async function largeBlob(target: Target, sizeMiB: number): Promise<Figures> {
  const { baseUrl, headers: auth } = target;
  const block = randomBytes(4 * MiB);
  const blocks = (sizeMiB * MiB) / block.byteLength;
  const pushHash = createHash('sha256');
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ === blocks) return controller.close();
      pushHash.update(block);
      controller.enqueue(block);
    },
  });
  let sent = 0;

  const pushStart = performance.now();
  const start = await fetch(`${baseUrl}/v2/${BENCH_REPOSITORIES.large}/blobs/uploads/`, {
    method: 'POST',
    headers: auth,
  });
  await expectStatus(start, 202, 'start upload');
  const location = new URL(start.headers.get('location')!, baseUrl);
  const patch = await fetch(location, {
    method: 'PATCH',
    body,
    headers: { ...auth, 'Content-Type': 'application/octet-stream' },
    duplex: 'half',
  } as RequestInit);
  await expectStatus(patch, 202, 'patch');
  const digest = `sha256:${pushHash.digest('hex')}`;
  const finish = new URL(patch.headers.get('location')!, baseUrl);
  finish.searchParams.set('digest', digest);
  await expectStatus(await fetch(finish, { method: 'PUT', headers: auth }), 201, 'finish upload');
  const pushSeconds = (performance.now() - pushStart) / 1000;

  const pullStart = performance.now();
  const pull = await fetch(`${baseUrl}/v2/${BENCH_REPOSITORIES.large}/blobs/${digest}`, {
    headers: auth,
  });
  await expectStatus(pull, 200, 'pull');
  const pullHash = createHash('sha256');
  for await (const chunk of pull.body as unknown as AsyncIterable<Uint8Array>)
    pullHash.update(chunk);
  const pullSeconds = (performance.now() - pullStart) / 1000;
  if (`sha256:${pullHash.digest('hex')}` !== digest)
    throw new Error('pulled blob has the wrong digest');

  return { 'push MB/s': sizeMiB / pushSeconds, 'pull MB/s': sizeMiB / pullSeconds };
}

/**
 * Many small manifests, each with its own annotation (so its own digest),
 * pushed by tag one after another, then pulled by tag.
 */
export async function smallManifests(target: Target, count: number): Promise<Figures> {
  const { baseUrl, headers: auth } = target;
  const repo = `${baseUrl}/v2/${BENCH_REPOSITORIES.manifests}`;
  const pushBlob = async (bytes: Buffer) => {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const start = await fetch(`${repo}/blobs/uploads/`, { method: 'POST', headers: auth });
    await expectStatus(start, 202, 'start upload');
    const url = new URL(start.headers.get('location')!, baseUrl);
    url.searchParams.set('digest', digest);
    await expectStatus(
      await fetch(url, { method: 'PUT', body: bytes, headers: auth }),
      201,
      'put blob',
    );
    return { digest, size: bytes.byteLength };
  };
  const config = await pushBlob(
    Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'),
  );
  const layer = await pushBlob(randomBytes(1024));

  const put: number[] = [];
  for (let i = 0; i < count; i++) {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      annotations: { 'org.example.build': String(i) },
    });
    const t0 = performance.now();
    const response = await fetch(`${repo}/manifests/t${i}`, {
      method: 'PUT',
      body: manifest,
      headers: { ...auth, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    await expectStatus(response, 201, 'put manifest');
    put.push(performance.now() - t0);
  }
  const get: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const response = await fetch(`${repo}/manifests/t${i}`, {
      headers: { ...auth, Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    await expectStatus(response, 200, 'get manifest');
    await response.arrayBuffer();
    get.push(performance.now() - t0);
  }
  put.sort((a, b) => a - b);
  get.sort((a, b) => a - b);
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / 1000;
  return {
    'manifest PUT p50 ms': percentile(put, 50),
    'manifest PUT p99 ms': percentile(put, 99),
    'manifest PUT req/s': count / total(put),
    'manifest GET p50 ms': percentile(get, 50),
    'manifest GET p99 ms': percentile(get, 99),
    'manifest GET req/s': count / total(get),
  };
}
