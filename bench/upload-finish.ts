import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { S3BlobStore } from '../shared/adapters/blob/s3-blob-store.js';
import { nodeSha256 } from '../shared/adapters/hash/node-sha256.js';
import { createWasmSha256 } from '../shared/adapters/hash/wasm-sha256.js';
import type { Sha256Engine } from '../shared/ports/sha256.js';
import { startTestRegistry } from '../test/support/harness.js';
import { startTestS3 } from '../test/support/s3.js';

/**
 * `npm run bench` (or `npm run bench:upload-finish`): what finishing a large
 * layer costs on S3 storage, against an S3-compatible server (s3rver) on
 * this machine. The layer is sent the way docker and skopeo send it (POST,
 * one streamed PATCH, then PUT ?digest=), and the PUT lands on another
 * server of the registry than the PATCH did, as it may behind a load
 * balancer. Twice: with the SHA-256 state saved with the session (what the
 * data plane runs), and with a hash kept only in memory, which must read
 * the whole layer back. Reported: the PUT's time, how much of it was spent
 * waiting on S3, the S3 requests it made and the bytes it moved through the
 * registry. BENCH_FINISH_MIB sets the layer size (default 1024). s3rver
 * assembles a completed multipart upload by copying its parts on local
 * disk, which S3 does not, so most of the PUT's time is s3rver's own.
 */
const MiB = 1024 * 1024;
const layerMiB = Number(process.env.BENCH_FINISH_MIB ?? 1024);

/** Deterministic bytes, generated as they stream. */
function* layerChunks(totalMiB: number): Generator<Uint8Array> {
  const chunk = Buffer.alloc(MiB);
  for (let i = 0; i < totalMiB; i++) {
    for (let j = 0; j < MiB; j += 4) chunk.writeUInt32LE((i * 2654435761 + j) >>> 0, j);
    yield chunk;
  }
}

function layerDigest(totalMiB: number): string {
  const hash = createHash('sha256');
  for (const chunk of layerChunks(totalMiB)) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

interface Finish {
  patchSeconds: number;
  finishSeconds: number;
  requests: Record<string, number>;
  /** Time spent waiting on S3 calls, by call: what s3rver, not the registry, spent. */
  s3Seconds: Record<string, number>;
  bytesUp: number;
  bytesDown: number;
}

async function finishOnAnotherServer(sha256: Sha256Engine, digest: string): Promise<Finish> {
  const s3 = await startTestS3();
  await s3.createBucket('bench');
  const traffic = {
    requests: {} as Record<string, number>,
    s3Seconds: {} as Record<string, number>,
    bytesUp: 0,
    bytesDown: 0,
  };
  let counting = false;
  s3.client.middlewareStack.add(
    (next, context) => async (args) => {
      const callStart = performance.now();
      const result = await next(args);
      if (counting) {
        const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
        traffic.requests[name] = (traffic.requests[name] ?? 0) + 1;
        traffic.s3Seconds[name] =
          (traffic.s3Seconds[name] ?? 0) + (performance.now() - callStart) / 1000;
        const body = (args.input as { Body?: Uint8Array }).Body;
        if (body instanceof Uint8Array) traffic.bytesUp += body.byteLength;
        const length = (result.output as { ContentLength?: number }).ContentLength;
        if (name === 'GetObject' && length) traffic.bytesDown += length;
      }
      return result;
    },
    { step: 'initialize', name: 'benchCounter' },
  );
  const store = new S3BlobStore({ client: s3.client, bucket: 'bench', redirects: true });
  const first = await startTestRegistry({ localStore: store, sha256 });
  const second = await startTestRegistry({ shareWith: first, sha256 });
  try {
    const started = await first.app.request('/v2/bench/layer/blobs/uploads/', { method: 'POST' });
    const location = started.headers.get('location')!;
    const chunks = layerChunks(layerMiB);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(Buffer.from(next.value));
      },
    });
    const patchStart = performance.now();
    const patched = await first.app.request(location, {
      method: 'PATCH',
      body,
      headers: { 'Content-Type': 'application/octet-stream' },
      duplex: 'half',
    } as RequestInit);
    if (patched.status !== 202) throw new Error(`PATCH: ${patched.status} ${await patched.text()}`);
    const patchSeconds = (performance.now() - patchStart) / 1000;
    counting = true;
    const finishStart = performance.now();
    const finished = await second.app.request(`${location}?digest=${digest}`, { method: 'PUT' });
    const finishSeconds = (performance.now() - finishStart) / 1000;
    counting = false;
    if (finished.status !== 201)
      throw new Error(`PUT: ${finished.status} ${await finished.text()}`);
    return { patchSeconds, finishSeconds, ...traffic };
  } finally {
    await second.close();
    await first.close();
    await s3.close();
  }
}

async function main() {
  const digest = layerDigest(layerMiB);
  const runs: Record<string, Finish> = {};
  for (const [label, engine] of [
    ['saved hash state (the data plane)', await createWasmSha256()],
    ['hash in memory only', nodeSha256],
  ] as const) {
    process.stdout.write(`upload finish on S3 (s3rver), ${layerMiB} MiB layer, ${label}... `);
    runs[label] = await finishOnAnotherServer(engine, digest);
    console.log('done');
  }
  console.log(
    `\n${'finishing on another server'.padEnd(36)}${'PATCH s'.padStart(9)}${'PUT s'.padStart(8)}${'in S3 s'.padStart(9)}${'MiB read'.padStart(10)}  S3 requests`,
  );
  for (const [label, run] of Object.entries(runs)) {
    const inS3 = Object.values(run.s3Seconds).reduce((a, b) => a + b, 0);
    const requests = Object.entries(run.requests)
      .map(([name, n]) => `${n} ${name}`)
      .join(', ');
    console.log(
      `${label.padEnd(36)}${run.patchSeconds.toFixed(1).padStart(9)}${run.finishSeconds.toFixed(2).padStart(8)}${inS3.toFixed(2).padStart(9)}${(run.bytesDown / MiB).toFixed(0).padStart(10)}  ${requests}`,
    );
  }
  await mkdir('.bench', { recursive: true });
  await writeFile(
    '.bench/upload-finish.json',
    JSON.stringify({ date: new Date().toISOString(), layerMiB, runs }, null, 2),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
