import { createHash, randomBytes } from 'node:crypto';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../shared/adapters/blob/s3-blob-store.js';
import type { ByteSource } from '../../shared/ports/blob-store.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { blobStoreContract, bytesOf, collect, Session } from './blob-store.contract.js';

const MiB = 1024 * 1024;
let s3: TestS3;
let buckets = 0;

async function newStore(options: { partSize?: number; redirects?: boolean } = {}) {
  const bucket = `berth-test-${++buckets}`;
  await s3.createBucket(bucket);
  const store = new S3BlobStore({
    client: s3.client,
    bucket,
    prefix: 'registry',
    redirects: true,
    ...options,
  });
  return { store, bucket };
}

async function keysIn(client: S3Client, bucket: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(() => s3.close());

describe('S3BlobStore', () => {
  blobStoreContract(async () => (await newStore()).store);
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
  it('spreads appends of any size over parts and publishes the exact bytes where they were uploaded', async () => {
    const { store, bucket } = await newStore({ partSize: 5 * MiB });
    const blob = randomBytes(13 * MiB + 12345);
    const session = await Session.start(store, 'big');
    // Chunk boundaries that straddle part boundaries in every way.
    let offset = 0;
    for (const size of [3 * MiB, 4 * MiB + 7, 1, 6 * MiB - 8, blob.byteLength - 13 * MiB]) {
      offset = await session.append(pieces(blob.subarray(offset, offset + size)));
    }
    expect(offset).toBe(blob.byteLength);
    const ref = await session.commit(sha256(blob));
    // No copy: the blob stays where its multipart upload completed.
    expect(ref).toEqual({ digest: sha256(blob), key: 'blobs/uploaded/big' });
    expect(await store.stat(ref)).toEqual({ size: blob.byteLength });
    expect((await bytesOf(await store.read(ref))).equals(blob)).toBe(true);
    const range = await bytesOf(await store.read(ref, { start: 5 * MiB - 2, end: 5 * MiB + 1 }));
    expect(range.equals(blob.subarray(5 * MiB - 2, 5 * MiB + 2))).toBe(true);
    // Staging objects are gone once the blob is published.
    expect(await keysIn(s3.client, bucket)).toEqual(['registry/blobs/uploaded/big']);
  });

  it('keeps the committed state when an append fails after uploading parts', async () => {
    const { store } = await newStore({ partSize: 5 * MiB });
    const first = randomBytes(2 * MiB);
    const session = await Session.start(store, 'resume');
    await session.append(pieces(first));
    await expect(
      store.appendUpload(session.committed, failingAfter(randomBytes(11 * MiB))),
    ).rejects.toThrow('client went away');
    expect(session.committed.size).toBe(first.byteLength);
    const rest = randomBytes(7 * MiB);
    await session.append(pieces(rest));
    const whole = Buffer.concat([first, rest]);
    expect(sha256(await collect(store.readUpload(session.committed)))).toBe(sha256(whole));
    const ref = await session.commit(sha256(whole));
    expect((await bytesOf(await store.read(ref))).equals(whole)).toBe(true);
  });

  it('keeps a blob smaller than one part under its canonical key, with no multipart upload', async () => {
    const { store, bucket } = await newStore({ partSize: 5 * MiB });
    const blob = randomBytes(3 * MiB);
    const session = await Session.start(store, 'small');
    await session.append(pieces(blob.subarray(0, MiB)));
    await session.append(pieces(blob.subarray(MiB)));
    expect(session.committed.state).toMatchObject({ multipartId: null, parts: 0, tail: 3 * MiB });
    const ref = await session.commit(sha256(blob));
    expect(ref.key).toBeNull();
    expect((await bytesOf(await store.read(ref))).equals(blob)).toBe(true);
    expect(await keysIn(s3.client, bucket)).toEqual([
      `registry/blobs/sha256/${sha256(blob).slice(7, 9)}/${sha256(blob).slice(7)}`,
    ]);
  });

  it('keeps the state a session commits small, whatever the size of the upload', async () => {
    const { store } = await newStore({ partSize: 5 * MiB });
    const session = await Session.start(store, 'compact');
    for (let i = 0; i < 4; i++) await session.append(pieces(randomBytes(5 * MiB + 1)));
    // Part ETags live in S3, so a 10,000-part upload's row stays this small.
    expect(JSON.stringify(session.committed.state).length).toBeLessThan(400);
  });

  it('removes every staged object and the multipart upload when aborted', async () => {
    const { store, bucket } = await newStore({ partSize: 5 * MiB });
    const session = await Session.start(store, 'dropped');
    await session.append(pieces(randomBytes(6 * MiB)));
    await store.appendUpload(session.committed, pieces(randomBytes(MiB))); // never committed
    await store.abortUpload('dropped', session.committed.state);
    expect(await keysIn(s3.client, bucket)).toEqual([]);
  });

  it('hands out presigned GET URLs unless proxying, and they fetch the blob, ranges too', async () => {
    const { store, bucket } = await newStore();
    const session = await Session.start(store, 'presigned');
    await session.append(pieces(Buffer.from('presigned bytes')));
    const ref = await session.commit(sha256(Buffer.from('presigned bytes')));
    const url = new URL((await store.redirectUrl(ref, 300))!);
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.pathname).toMatch(
      /^\/berth-test-\d+\/registry\/blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/,
    );
    expect(await (await fetch(url)).text()).toBe('presigned bytes');
    // The Range header is not signed, so a client resuming a pull sends its own.
    const ranged = await fetch(url, { headers: { Range: 'bytes=10-14' } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe('bytes');

    const proxying = new S3BlobStore({
      client: s3.client,
      bucket,
      prefix: 'registry',
      redirects: false,
    });
    expect(await proxying.redirectUrl(ref, 300)).toBeNull();
  });
});
