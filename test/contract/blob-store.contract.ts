import { expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import type {
  BlobRef,
  BlobStore,
  ByteSource,
  StagedUpload,
  StoredObject,
} from '../../shared/ports/blob-store.js';
import { blobKey } from '../../shared/ports/storage-layout.js';
import { BlobNotFoundError, UploadNotFoundError } from '../../shared/ports/errors.js';

async function* source(...chunks: (string | Uint8Array)[]): ByteSource {
  for (const chunk of chunks) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}

async function* failingAfter(chunk: string | Uint8Array): ByteSource {
  yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  throw new Error('client went away');
}

export async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(stream).arrayBuffer());
}

export async function collect(bytes: ByteSource): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of bytes) parts.push(chunk);
  return Buffer.concat(parts);
}

/**
 * An upload session driven the way the registry drives it: each append
 * starts from the last committed state, and only a committed append's
 * result becomes the next one's start.
 */
export class Session {
  committed: StagedUpload;

  private constructor(
    readonly store: BlobStore,
    id: string,
    state: StagedUpload['state'],
  ) {
    this.committed = { id, size: 0, state };
  }

  static async start(store: BlobStore, id: string): Promise<Session> {
    return new Session(store, id, await store.startUpload(id));
  }

  /** Appends and commits, as a successful PATCH does. */
  async append(data: ByteSource): Promise<number> {
    const result = await this.store.appendUpload(this.committed, data);
    this.committed = { id: this.committed.id, ...result };
    return result.size;
  }

  commit(digest: string): Promise<BlobRef> {
    return this.store.commitUpload(this.committed, digest);
  }
}

/** The behaviour every `BlobStore` adapter must have. */
export function blobStoreContract(makeStore: () => Promise<BlobStore>): void {
  let counter = 0;
  const newUpload = () => `upload-${process.pid}-${++counter}-${Date.now()}`;

  it('stages appended chunks and publishes them under the digest', async () => {
    const store = await makeStore();
    const session = await Session.start(store, newUpload());
    expect(await session.append(source('hello ', 'wor'))).toBe(9);
    expect(await session.append(source('ld'))).toBe(11);
    expect((await collect(store.readUpload(session.committed))).toString()).toBe('hello world');

    const digest = digestOf(Buffer.from('hello world'));
    expect(await store.stat({ digest, key: null })).toBeNull();
    const ref = await session.commit(digest);
    expect(ref.digest).toBe(digest);
    expect(await store.stat(ref)).toEqual({ size: 11 });
    expect((await bytesOf(await store.read(ref))).toString()).toBe('hello world');
  });

  it('reads inclusive byte ranges', async () => {
    const store = await makeStore();
    const session = await Session.start(store, newUpload());
    await session.append(source('0123456789'));
    const ref = await session.commit(digestOf(Buffer.from('0123456789')));
    expect((await bytesOf(await store.read(ref, { start: 2, end: 4 }))).toString()).toBe('234');
    expect((await bytesOf(await store.read(ref, { start: 9, end: 9 }))).toString()).toBe('9');
  });

  it('loses nothing committed to an append whose result is never committed', async () => {
    const store = await makeStore();
    const session = await Session.start(store, newUpload());
    await session.append(source('keep '));
    // A request that wrote its chunk and died before saving the new state.
    await store.appendUpload(session.committed, source('lost in a crash '));
    expect(await session.append(source('and this'))).toBe(13);
    expect((await collect(store.readUpload(session.committed))).toString()).toBe('keep and this');
    const ref = await session.commit(digestOf(Buffer.from('keep and this')));
    expect((await bytesOf(await store.read(ref))).toString()).toBe('keep and this');
  });

  it('commits only the committed bytes when an append that never committed was the last one', async () => {
    const store = await makeStore();
    const session = await Session.start(store, newUpload());
    await session.append(source('keep'));
    await store.appendUpload(session.committed, source(' but not this'));
    const ref = await session.commit(digestOf(Buffer.from('keep')));
    expect((await bytesOf(await store.read(ref))).toString()).toBe('keep');
  });

  it('leaves the committed upload as it was when a source fails midway', async () => {
    const store = await makeStore();
    const session = await Session.start(store, newUpload());
    await session.append(source('keep'));
    await expect(store.appendUpload(session.committed, failingAfter('lose'))).rejects.toThrow(
      'client went away',
    );
    expect((await collect(store.readUpload(session.committed))).toString()).toBe('keep');
    expect(await session.append(source('!'))).toBe(5);
  });

  it('starts over when the first append never committed', async () => {
    const store = await makeStore();
    const session = await Session.start(store, newUpload());
    // A first chunk written, then the request died before saving the new state.
    await store.appendUpload(session.committed, source('lost in a crash'));
    expect(await session.append(source('kept'))).toBe(4);
    const ref = await session.commit(digestOf(Buffer.from('kept')));
    expect((await bytesOf(await store.read(ref))).toString()).toBe('kept');
  });

  it('commits an upload that never received a byte as the empty blob', async () => {
    const store = await makeStore();
    const session = await Session.start(store, newUpload());
    const ref = await session.commit(digestOf(Buffer.alloc(0)));
    expect(await store.stat(ref)).toEqual({ size: 0 });
    expect((await bytesOf(await store.read(ref))).byteLength).toBe(0);
  });

  it('reports unknown uploads and blobs with port errors', async () => {
    const store = await makeStore();
    const gone = await Session.start(store, newUpload());
    await gone.append(source('x'));
    await store.abortUpload(gone.committed.id, gone.committed.state);
    await expect(store.appendUpload(gone.committed, source('y'))).rejects.toBeInstanceOf(
      UploadNotFoundError,
    );
    const digest = digestOf(Buffer.from('never stored'));
    await expect(store.read({ digest, key: null })).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('repeats a commit harmlessly, as a finish retried after a crash does', async () => {
    const store = await makeStore();
    const session = await Session.start(store, newUpload());
    await session.append(source('twice'));
    const digest = digestOf(Buffer.from('twice'));
    const first = await session.commit(digest);
    const second = await session.commit(digest);
    expect(second).toEqual(first);
    expect((await bytesOf(await store.read(second))).toString()).toBe('twice');
  });

  it('aborts uploads and deletes blobs idempotently', async () => {
    const store = await makeStore();
    const session = await Session.start(store, newUpload());
    await session.append(source('gone'));
    await store.abortUpload(session.committed.id, session.committed.state);
    await store.abortUpload(session.committed.id, null);

    const kept = await Session.start(store, newUpload());
    await kept.append(source('blob'));
    const ref = await kept.commit(digestOf(Buffer.from('blob')));
    await store.delete(ref);
    await store.delete(ref);
    expect(await store.stat(ref)).toBeNull();
  });

  it('writes small blobs whole under their canonical key', async () => {
    const store = await makeStore();
    const bytes = Buffer.from('{"schemaVersion":2}');
    const ref = { digest: digestOf(bytes), key: null };
    await store.writeBlob(ref.digest, bytes);
    expect(await store.stat(ref)).toEqual({ size: bytes.byteLength });
    expect((await bytesOf(await store.read(ref))).equals(bytes)).toBe(true);
  });

  it('lists what it holds, blobs and upload scratch apart, page by page with a cursor', async () => {
    const store = await makeStore();
    const before = Date.now() - 60_000;
    const refs: BlobRef[] = [];
    for (const text of ['first blob', 'second blob', 'third blob']) {
      const session = await Session.start(store, newUpload());
      await session.append(source(text));
      refs.push(await session.commit(digestOf(Buffer.from(text))));
    }
    const pending = await Session.start(store, newUpload());
    await pending.append(source('staged, not finished'));

    const seen: StoredObject[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page: { objects: StoredObject[]; next: string | null } = await store.listStored(
        'blobs',
        after,
        2,
      );
      expect(page.objects.length).toBeLessThanOrEqual(2);
      seen.push(...page.objects);
      if (page.next === null) break;
      after = page.next;
    }
    const keys = seen.map((o) => o.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const ref of refs) {
      expect(keys).toContain(ref.key ?? blobKey(ref.digest));
    }
    for (const object of seen) {
      expect(object.key.startsWith('blobs/')).toBe(true);
      expect(object.modifiedMs).toBeGreaterThan(before);
    }
    const scratch = await store.listStored('uploads', null, 1000);
    expect(scratch.objects.some((o) => o.key.startsWith(`uploads/${pending.committed.id}`))).toBe(
      true,
    );
    expect(scratch.objects.every((o) => o.key.startsWith('uploads/'))).toBe(true);
  });
}
