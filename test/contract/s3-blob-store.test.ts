import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../shared/adapters/blob/s3-blob-store.js';
import type { ByteSource } from '../../shared/ports/blob-store.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { blobStoreContract } from './blob-store.contract.js';

const MiB = 1024 * 1024;
let s3: TestS3;
let buckets = 0;

async function newStore(
  options: { partSize?: number; copyObjectLimit?: number; redirects?: boolean } = {},
) {
  const bucket = `berth-test-${++buckets}`;
  await s3.createBucket(bucket);
  return new S3BlobStore({
    client: s3.client,
    bucket,
    prefix: 'registry',
    redirects: true,
    ...options,
  });
}

beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(() => s3.close());

describe('S3BlobStore', () => {
  blobStoreContract(() => newStore());
});

async function* pieces(...chunks: Uint8Array[]): ByteSource {
  for (const chunk of chunks) yield chunk;
}

async function* failingAfter(chunk: Uint8Array): ByteSource {
  yield chunk;
  throw new Error('client went away');
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('S3BlobStore multipart uploads', () => {
  it('spreads appends of any size over 5 MiB parts and publishes the exact bytes', async () => {
    const store = await newStore({ partSize: 5 * MiB });
    const blob = randomBytes(13 * MiB + 12345);
    await store.startUpload('big');
    // Chunk boundaries that straddle part boundaries in every way.
    let offset = 0;
    for (const size of [3 * MiB, 4 * MiB + 7, 1, 6 * MiB - 8, blob.byteLength - 13 * MiB]) {
      offset = await store.appendUpload(
        'big',
        offset,
        pieces(blob.subarray(offset, offset + size)),
      );
    }
    expect(offset).toBe(blob.byteLength);
    const digest = sha256(blob);
    await store.commitUpload('big', digest);
    expect(await store.stat(digest)).toEqual({ size: blob.byteLength });
    const read = Buffer.from(await new Response(await store.read(digest)).arrayBuffer());
    expect(read.equals(blob)).toBe(true);
    const range = Buffer.from(
      await new Response(
        await store.read(digest, { start: 5 * MiB - 2, end: 5 * MiB + 1 }),
      ).arrayBuffer(),
    );
    expect(range.equals(blob.subarray(5 * MiB - 2, 5 * MiB + 2))).toBe(true);
    expect(await store.uploadSize('big')).toBeNull();
  });

  it('keeps the previous state when an append fails after uploading parts', async () => {
    const store = await newStore({ partSize: 5 * MiB });
    const first = randomBytes(2 * MiB);
    await store.startUpload('resume');
    await store.appendUpload('resume', 0, pieces(first));
    await expect(
      store.appendUpload('resume', first.byteLength, failingAfter(randomBytes(11 * MiB))),
    ).rejects.toThrow('client went away');
    expect(await store.uploadSize('resume')).toBe(first.byteLength);
    const rest = randomBytes(7 * MiB);
    await store.appendUpload('resume', first.byteLength, pieces(rest));
    const whole = Buffer.concat([first, rest]);
    const hash = createHash('sha256');
    for await (const chunk of store.readUpload('resume')) hash.update(chunk);
    expect(`sha256:${hash.digest('hex')}`).toBe(sha256(whole));
    await store.commitUpload('resume', sha256(whole));
    expect(await store.stat(sha256(whole))).toEqual({ size: whole.byteLength });
  });

  it('publishes uploads beyond the CopyObject limit by streaming them', async () => {
    const store = await newStore({ partSize: 5 * MiB, copyObjectLimit: 1 * MiB });
    const blob = randomBytes(11 * MiB);
    await store.startUpload('huge');
    await store.appendUpload('huge', 0, pieces(blob));
    await store.commitUpload('huge', sha256(blob));
    const read = Buffer.from(await new Response(await store.read(sha256(blob))).arrayBuffer());
    expect(read.equals(blob)).toBe(true);
  });

  it('hands out presigned GET URLs unless proxying, and they fetch the blob', async () => {
    const store = await newStore();
    await store.startUpload('small');
    await store.appendUpload('small', 0, pieces(Buffer.from('presigned bytes')));
    const digest = sha256(Buffer.from('presigned bytes'));
    await store.commitUpload('small', digest);
    const url = new URL((await store.redirectUrl(digest, 300))!);
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.pathname).toMatch(
      /^\/berth-test-\d+\/registry\/blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/,
    );
    expect(await (await fetch(url)).text()).toBe('presigned bytes');

    const proxying = new S3BlobStore({
      client: s3.client,
      bucket: url.pathname.split('/')[1]!,
      prefix: 'registry',
      redirects: false,
    });
    expect(await proxying.redirectUrl(digest, 300)).toBeNull();
  });
});
