import { expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import type { BlobStore, ByteSource } from '../../shared/ports/blob-store.js';
import {
  BlobNotFoundError,
  UploadNotFoundError,
  UploadOffsetError,
} from '../../shared/ports/errors.js';

async function* source(...chunks: string[]): ByteSource {
  for (const chunk of chunks) yield Buffer.from(chunk);
}

async function* failingAfter(chunk: string): ByteSource {
  yield Buffer.from(chunk);
  throw new Error('client went away');
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return Buffer.from(await new Response(stream).arrayBuffer()).toString();
}

async function collect(bytes: ByteSource): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of bytes) parts.push(chunk);
  return Buffer.concat(parts).toString();
}

/** The behaviour every `BlobStore` adapter must have. */
export function blobStoreContract(makeStore: () => Promise<BlobStore>): void {
  let counter = 0;
  const newUpload = () => `upload-${process.pid}-${++counter}-${Date.now()}`;

  it('stages appended chunks and publishes them under the digest', async () => {
    const store = await makeStore();
    const id = newUpload();
    await store.startUpload(id);
    expect(await store.uploadSize(id)).toBe(0);
    expect(await store.appendUpload(id, 0, source('hello ', 'wor'))).toBe(9);
    expect(await store.appendUpload(id, 9, source('ld'))).toBe(11);
    expect(await collect(store.readUpload(id))).toBe('hello world');

    const digest = digestOf(Buffer.from('hello world'));
    expect(await store.stat(digest)).toBeNull();
    await store.commitUpload(id, digest);
    expect(await store.stat(digest)).toEqual({ size: 11 });
    expect(await store.uploadSize(id)).toBeNull();
    expect(await text(await store.read(digest))).toBe('hello world');
  });

  it('reads inclusive byte ranges', async () => {
    const store = await makeStore();
    const id = newUpload();
    await store.startUpload(id);
    await store.appendUpload(id, 0, source('0123456789'));
    const digest = digestOf(Buffer.from('0123456789'));
    await store.commitUpload(id, digest);
    expect(await text(await store.read(digest, { start: 2, end: 4 }))).toBe('234');
    expect(await text(await store.read(digest, { start: 9, end: 9 }))).toBe('9');
  });

  it('refuses an append at the wrong offset and leaves the upload unchanged', async () => {
    const store = await makeStore();
    const id = newUpload();
    await store.startUpload(id);
    await store.appendUpload(id, 0, source('abc'));
    await expect(store.appendUpload(id, 1, source('x'))).rejects.toBeInstanceOf(UploadOffsetError);
    expect(await store.uploadSize(id)).toBe(3);
  });

  it('rolls back an append whose source fails midway', async () => {
    const store = await makeStore();
    const id = newUpload();
    await store.startUpload(id);
    await store.appendUpload(id, 0, source('keep'));
    await expect(store.appendUpload(id, 4, failingAfter('lose'))).rejects.toThrow(
      'client went away',
    );
    expect(await store.uploadSize(id)).toBe(4);
    expect(await collect(store.readUpload(id))).toBe('keep');
  });

  it('reports unknown uploads and blobs with port errors', async () => {
    const store = await makeStore();
    await expect(store.appendUpload('missing-upload', 0, source('x'))).rejects.toBeInstanceOf(
      UploadNotFoundError,
    );
    expect(await store.uploadSize('missing-upload')).toBeNull();
    const digest = digestOf(Buffer.from('never stored'));
    await expect(store.read(digest)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.commitUpload('missing-upload', digest)).rejects.toBeInstanceOf(
      UploadNotFoundError,
    );
  });

  it('aborts uploads and deletes blobs idempotently', async () => {
    const store = await makeStore();
    const id = newUpload();
    await store.startUpload(id);
    await store.appendUpload(id, 0, source('gone'));
    await store.abortUpload(id);
    await store.abortUpload(id);
    expect(await store.uploadSize(id)).toBeNull();

    const kept = newUpload();
    await store.startUpload(kept);
    await store.appendUpload(kept, 0, source('blob'));
    const digest = digestOf(Buffer.from('blob'));
    await store.commitUpload(kept, digest);
    await store.delete(digest);
    await store.delete(digest);
    expect(await store.stat(digest)).toBeNull();
  });
}
