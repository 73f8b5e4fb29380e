import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../shared/adapters/blob/fs-blob-store.js';
import { nodeSha256 } from '../../shared/adapters/hash/node-sha256.js';
import { createWasmSha256 } from '../../shared/adapters/hash/wasm-sha256.js';
import type { BlobStore, StagedUpload } from '../../shared/ports/blob-store.js';
import type { RunningHash, Sha256Engine } from '../../shared/ports/sha256.js';
import { stagedUploads, startTestRegistry, type TestRegistry } from '../support/harness.js';
import { V2Client } from '../support/v2-client.js';
import { heldBody } from '../support/held-body.js';

/** A store that counts how often the registry reads an upload's bytes back. */
class CountingStore extends FsBlobStore {
  rereads = 0;
  override readUpload(upload: StagedUpload) {
    this.rereads += 1;
    return super.readUpload(upload);
  }
}

/** A request body that sends `head`, then waits until released before sending `rest`. */
/**
 * A PATCH that sends `head`, then holds its body open until released, so
 * another server can act while it streams; resolves once it is under way.
 */
async function streamingPatch(
  server: V2Client,
  location: string,
  head: Uint8Array,
  rest: Uint8Array,
) {
  const { body, release } = heldBody(head, rest);
  const response = server.request(location, {
    method: 'PATCH',
    body,
    headers: { 'Content-Type': 'application/octet-stream' },
    duplex: 'half',
  } as RequestInit);
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { response, release };
}

/** The resumable engine, counting the bytes fed to hashes whose state may be saved and to those never saved. */
async function countingEngine() {
  const inner = await createWasmSha256();
  const bytes = { saved: 0, unsaved: 0 };
  const counted = (hash: RunningHash, kind: keyof typeof bytes): RunningHash => ({
    update: (chunk) => {
      bytes[kind] += chunk.byteLength;
      hash.update(chunk);
    },
    save: () => hash.save(),
    copy: () => counted(hash.copy(), kind),
    hex: () => hash.hex(),
  });
  const engine: Sha256Engine & { bytes: typeof bytes } = {
    bytes,
    resumable: true,
    start: () => counted(inner.start(), 'saved'),
    startUnsaved: () => counted(inner.startUnsaved(), 'unsaved'),
    resume: (state) => {
      const hash = inner.resume(state);
      return hash && counted(hash, 'saved');
    },
  };
  return engine;
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const octets = { 'Content-Type': 'application/octet-stream' };

let dir: string;
let store: CountingStore;
let a: TestRegistry;
let b: TestRegistry;

/** Two servers of one registry: one database, one storage location, one clock. */
async function twoServers(engine: Sha256Engine) {
  store = new CountingStore(join(dir, `blobs-${Date.now()}`));
  a = await startTestRegistry({ localStore: store as BlobStore, sha256: engine });
  b = await startTestRegistry({ shareWith: a, sha256: engine });
  return { onA: new V2Client(a.app), onB: new V2Client(b.app) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-shared-uploads-'));
});
afterEach(async () => {
  await b.close();
  await a.close();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function start(client: V2Client, name: string): Promise<string> {
  const response = await client.request(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
  expect(response.status).toBe(202);
  return response.headers.get('location')!;
}

describe('one upload session on two servers of one registry', () => {
  it('takes chunks on either server and finishes from the saved hash state, without reading the bytes again', async () => {
    const { onA, onB } = await twoServers(await createWasmSha256());
    const blob = randomBytes(300_000);
    const location = await start(onA, 'shared/app');
    const first = await onB.request(location, {
      method: 'PATCH',
      body: blob.subarray(0, 100_000),
      headers: { ...octets, 'Content-Range': '0-99999' },
    });
    expect(first.status).toBe(202);
    const second = await onA.request(location, {
      method: 'PATCH',
      body: blob.subarray(100_000, 250_000),
      headers: { ...octets, 'Content-Range': '100000-249999' },
    });
    expect(second.headers.get('range')).toBe('0-249999');
    const done = await onB.request(`${location}?digest=${sha256(blob)}`, {
      method: 'PUT',
      body: blob.subarray(250_000),
      headers: { ...octets, 'Content-Length': '50000' },
    });
    expect(done.status).toBe(201);
    expect(store.rereads).toBe(0);
    const pulled = await onA.request(`/v2/shared/app/blobs/${sha256(blob)}`);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(blob)).toBe(true);
  });

  it('still verifies with a hash that cannot be saved, by reading the staged bytes once', async () => {
    const { onA, onB } = await twoServers(nodeSha256);
    const blob = randomBytes(50_000);
    const location = await start(onA, 'shared/native');
    await onA.request(location, { method: 'PATCH', body: blob, headers: octets });
    const done = await onB.request(`${location}?digest=${sha256(blob)}`, { method: 'PUT' });
    expect(done.status).toBe(201);
    expect(store.rereads).toBe(1);
  });

  it('hashes a blob that arrives whole in one request with the unsaved hash, and still refuses a wrong digest', async () => {
    const engine = await countingEngine();
    const { onA, onB } = await twoServers(engine);
    const blob = randomBytes(200_000);
    const location = await start(onA, 'shared/whole');
    const wrong = await onB.request(`${location}?digest=${sha256(Buffer.from('other'))}`, {
      method: 'PUT',
      body: blob,
      headers: { ...octets, 'Content-Length': String(blob.byteLength) },
    });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe(
      'DIGEST_INVALID',
    );
    expect((await onA.request(`/v2/shared/whole/blobs/${sha256(blob)}`)).status).toBe(404);

    const again = await start(onB, 'shared/whole');
    const put = await onA.request(`${again}?digest=${sha256(blob)}`, {
      method: 'PUT',
      body: blob,
      headers: { ...octets, 'Content-Length': String(blob.byteLength) },
    });
    expect(put.status).toBe(201);
    const posted = await onB.request(
      `/v2/shared/whole/blobs/uploads/?digest=${sha256(blob.subarray(1))}`,
      {
        method: 'POST',
        body: blob.subarray(1),
        headers: { ...octets, 'Content-Length': String(blob.byteLength - 1) },
      },
    );
    expect(posted.status).toBe(201);
    expect(engine.bytes).toEqual({ saved: 0, unsaved: 3 * 200_000 - 1 });
    expect(store.rereads).toBe(0);

    // A chunk that leaves the session open keeps a state another server can resume.
    const chunked = await start(onA, 'shared/whole');
    await onA.request(chunked, {
      method: 'PATCH',
      body: blob.subarray(0, 1000),
      headers: { ...octets, 'Content-Length': '1000' },
    });
    expect(engine.bytes.saved).toBe(1000);
  });

  it('answers a second writer with 416 and the current Range while one request streams, and loses nothing', async () => {
    const { onA, onB } = await twoServers(await createWasmSha256());
    const blob = randomBytes(30);
    const location = await start(onA, 'shared/race');
    const streaming = await streamingPatch(
      onA,
      location,
      blob.subarray(0, 10),
      blob.subarray(10, 20),
    );
    const racing = await onB.request(location, {
      method: 'PATCH',
      body: blob.subarray(20),
      headers: { ...octets, 'Content-Range': '0-9' },
    });
    expect(racing.status).toBe(416);
    expect(racing.headers.get('range')).toBe('0-0');
    streaming.release();
    expect((await streaming.response).headers.get('range')).toBe('0-19');
    const done = await onB.request(`${location}?digest=${sha256(blob)}`, {
      method: 'PUT',
      body: blob.subarray(20),
      headers: { ...octets, 'Content-Range': '20-29', 'Content-Length': '10' },
    });
    expect(done.status).toBe(201);
  });

  it('lets a session go once the hold of a server that died lapses', async () => {
    const { onB } = await twoServers(await createWasmSha256());
    const location = await start(onB, 'shared/orphan');
    const repository = await a.registry.deps.metadata.findRepository('shared/orphan');
    const now = a.clock.now();
    await a.registry.deps.metadata.claimUpload(repository!.id, location.split('/').pop()!, {
      token: 'a-process-that-died',
      nowMs: now,
      untilMs: now + a.registry.deps.options.uploadClaimMs,
    });
    const held = await onB.request(location, { method: 'PATCH', body: 'abc', headers: octets });
    expect(held.status).toBe(416);
    a.clock.advance(a.registry.deps.options.uploadClaimMs + 1);
    const taken = await onB.request(location, { method: 'PATCH', body: 'abc', headers: octets });
    expect(taken.status).toBe(202);
    expect(taken.headers.get('range')).toBe('0-2');
  });

  it('stops an append streaming on one server when the session is cancelled on another', async () => {
    const { onA, onB } = await twoServers(await createWasmSha256());
    const location = await start(onA, 'shared/cancelled');
    const streaming = await streamingPatch(onA, location, randomBytes(10), randomBytes(10));
    expect((await onB.request(location, { method: 'DELETE' })).status).toBe(204);
    streaming.release();
    const refused = await streaming.response;
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe(
      'BLOB_UPLOAD_UNKNOWN',
    );
    expect((await onB.request(location)).status).toBe(404);
    expect(await stagedUploads(store)).toEqual([]);
  });
});
