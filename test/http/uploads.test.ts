import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../shared/http/app.js';
import { v2Surface } from '../../shared/http/v2/v2-surface.js';
import { digestOf } from '../../shared/oci/digest.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';
import { createRegistry } from '../../shared/registry/registry.js';

import { stagedUploads, startTestRegistry, type TestRegistry } from '../support/harness.js';
import { errorCode, V2Client } from '../support/v2-client.js';

let t: TestRegistry;
let v2: V2Client;
beforeAll(async () => {
  t = await startTestRegistry({ storage: 'fs', options: { chunkMinLength: 1024 } });
  v2 = new V2Client(t.app);
});
afterAll(() => t.close());

const octets = { 'Content-Type': 'application/octet-stream' };

async function startUpload(name: string): Promise<string> {
  const response = await v2.request(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
  expect(response.status).toBe(202);
  return response.headers.get('location')!;
}

async function patch(location: string, body: string, range?: string) {
  return v2.request(location, {
    method: 'PATCH',
    body,
    headers: range ? { ...octets, 'Content-Range': range } : octets,
  });
}

/** Nothing of the upload may survive: no staged bytes, no session, no blob. */
async function expectNothingLeft(name: string, location: string, digest: string) {
  const uploadId = location.split('/').pop()!;
  expect(await stagedUploads(t.stores.get('local')!)).not.toContain(uploadId);
  expect((await v2.request(location)).status).toBe(404);
  expect((await v2.request(`/v2/${name}/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
  expect(await t.stores.get('local')!.stat({ digest: digest, key: null })).toBeNull();
}

describe('starting an upload', () => {
  it('opens a session and advertises where and how to send bytes', async () => {
    const response = await v2.request('/v2/org/app/blobs/uploads/', { method: 'POST' });
    expect(response.status).toBe(202);
    const location = response.headers.get('location')!;
    expect(location).toMatch(/^\/v2\/org\/app\/blobs\/uploads\/[0-9a-f-]{36}$/);
    expect(response.headers.get('range')).toBe('0-0');
    expect(response.headers.get('oci-chunk-min-length')).toBe('1024');
    expect(response.headers.get('docker-upload-uuid')).toBe(location.split('/').pop());
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it('accepts the path without a trailing slash too', async () => {
    expect((await v2.request('/v2/org/app/blobs/uploads', { method: 'POST' })).status).toBe(202);
  });

  it('refuses an invalid repository name', async () => {
    const response = await v2.request('/v2/Bad_Name/blobs/uploads/', { method: 'POST' });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('NAME_INVALID');
  });
});

describe('monolithic upload (POST ?digest=)', () => {
  it('stores the blob in one request', async () => {
    const body = 'monolithic bytes';
    const digest = digestOf(Buffer.from(body));
    const response = await v2.request(`/v2/mono/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body,
      headers: octets,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/v2/mono/blobs/${digest}`);
    expect(response.headers.get('docker-content-digest')).toBe(digest);
    expect(await (await v2.request(`/v2/mono/blobs/${digest}`)).text()).toBe(body);
  });

  it('refuses a body that does not match the digest and keeps nothing', async () => {
    const sessionsBefore = await t.db.selectFrom('blob_upload').select('id').execute();
    const digest = digestOf(Buffer.from('what the client claims'));
    const response = await v2.request(`/v2/mono/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: 'something else',
      headers: octets,
    });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('DIGEST_INVALID');
    expect((await v2.request(`/v2/mono/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    expect(await t.db.selectFrom('blob_upload').select('id').execute()).toEqual(sessionsBefore);
    expect(
      await t.db.selectFrom('blob').select('digest').where('digest', '=', digest).execute(),
    ).toEqual([]);
    expect(
      await t.stores
        .get('local')!
        .stat({ digest: digestOf(Buffer.from('something else')), key: null }),
    ).toBeNull();
  });

  it('refuses a malformed digest', async () => {
    const response = await v2.request('/v2/mono/blobs/uploads/?digest=sha256:nothex', {
      method: 'POST',
      body: 'x',
      headers: octets,
    });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('DIGEST_INVALID');
  });
});

describe('streamed upload (PATCH without Content-Range)', () => {
  it('appends each PATCH and publishes on PUT', async () => {
    const location = await startUpload('stream');
    const first = await patch(location, 'streamed ');
    expect(first.status).toBe(202);
    expect(first.headers.get('range')).toBe('0-8');
    expect(first.headers.get('location')).toBe(location);
    expect((await patch(location, 'content')).headers.get('range')).toBe('0-15');

    const status = await v2.request(location);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-15');

    const digest = digestOf(Buffer.from('streamed content'));
    const done = await v2.request(`${location}?digest=${digest}`, { method: 'PUT' });
    expect(done.status).toBe(201);
    expect(done.headers.get('docker-content-digest')).toBe(digest);
    expect(await (await v2.request(`/v2/stream/blobs/${digest}`)).text()).toBe('streamed content');
    expect((await v2.request(location)).status).toBe(404);
  });

  it('rolls back a PATCH whose body breaks off', async () => {
    const location = await startUpload('stream');
    await patch(location, 'kept');
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(Buffer.from('lost'));
        controller.error(new Error('connection reset'));
      },
    });
    const response = await v2.request(location, {
      method: 'PATCH',
      body: broken,
      headers: octets,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(500);
    const status = await v2.request(location);
    expect(status.headers.get('range')).toBe('0-3');
    const digest = digestOf(Buffer.from('kept, then more'));
    await patch(location, ', then more');
    expect((await v2.request(`${location}?digest=${digest}`, { method: 'PUT' })).status).toBe(201);
  });
});

describe('chunked upload (PATCH with Content-Range)', () => {
  it('accepts chunks in order and a final chunk on PUT', async () => {
    const location = await startUpload('chunked');
    expect((await patch(location, 'abc', '0-2')).headers.get('range')).toBe('0-2');
    expect((await patch(location, 'def', '3-5')).headers.get('range')).toBe('0-5');
    const digest = digestOf(Buffer.from('abcdefgh'));
    const done = await v2.request(`${location}?digest=${digest}`, {
      method: 'PUT',
      body: 'gh',
      headers: { ...octets, 'Content-Range': '6-7', 'Content-Length': '2' },
    });
    expect(done.status).toBe(201);
    expect(await (await v2.request(`/v2/chunked/blobs/${digest}`)).text()).toBe('abcdefgh');
  });

  it('answers 416 with the current range for an out-of-order chunk, and the upload goes on', async () => {
    const location = await startUpload('chunked');
    await patch(location, 'abc', '0-2');
    const gap = await patch(location, 'xyz', '10-12');
    expect(gap.status).toBe(416);
    expect(gap.headers.get('range')).toBe('0-2');
    expect(await errorCode(gap)).toBe('RANGE_INVALID');
    const overlap = await patch(location, 'bc', '1-2');
    expect(overlap.status).toBe(416);
    expect((await patch(location, 'def', '3-5')).status).toBe(202);
  });

  it('answers 416 to a malformed Content-Range', async () => {
    const location = await startUpload('chunked');
    const response = await patch(location, 'abc', 'bytes=zero-two');
    expect(response.status).toBe(416);
    expect(response.headers.get('range')).toBe('0-0');
  });

  it('refuses a chunk whose length differs from its Content-Range and keeps the upload as it was', async () => {
    const location = await startUpload('chunked');
    await patch(location, 'abc', '0-2');
    const longer = await patch(location, 'defg', '3-5');
    expect(longer.status).toBe(400);
    expect(await errorCode(longer)).toBe('SIZE_INVALID');
    const shorter = await patch(location, 'de', '3-5');
    expect(await errorCode(shorter)).toBe('SIZE_INVALID');
    expect((await v2.request(location)).headers.get('range')).toBe('0-2');
  });
});

describe('finishing an upload', () => {
  it('verifies sha512 digests by re-reading the staged bytes', async () => {
    const location = await startUpload('sha512');
    await patch(location, 'five hundred and twelve');
    const digest = digestOf(Buffer.from('five hundred and twelve'), 'sha512');
    const done = await v2.request(`${location}?digest=${digest}`, { method: 'PUT' });
    expect(done.status).toBe(201);
    expect(
      (await v2.request(`/v2/sha512/blobs/${digest}`, { method: 'HEAD' })).headers.get(
        'content-length',
      ),
    ).toBe('23');
  });

  it('finishes an upload whose earlier chunks another process received, by re-hashing them', async () => {
    const location = await startUpload('handover');
    await patch(location, 'received by the first process, ');
    // A second registry over the same database and storage: a restarted
    // server, or another data-plane task behind the load balancer.
    const other = new V2Client(
      createHttpApp({
        registry: createRegistry(t.registry.deps),
        access: t.access,
        surfaces: [v2Surface],
      }),
    );
    await other.request(location, { method: 'PATCH', body: 'then the second', headers: octets });
    const digest = digestOf(Buffer.from('received by the first process, then the second'));
    const wrong = digestOf(Buffer.from('then the second'));
    expect(
      await errorCode(await other.request(`${location}?digest=${wrong}`, { method: 'PUT' })),
    ).toBe('DIGEST_INVALID');

    const again = await startUpload('handover');
    await patch(again, 'received by the first process, ');
    await other.request(again, { method: 'PATCH', body: 'then the second', headers: octets });
    const done = await other.request(`${again}?digest=${digest}`, { method: 'PUT' });
    expect(done.status).toBe(201);
    expect(await (await v2.request(`/v2/handover/blobs/${digest}`)).text()).toBe(
      'received by the first process, then the second',
    );
  });

  it('refuses a PUT without digest and keeps the session', async () => {
    const location = await startUpload('finish');
    await patch(location, 'abc');
    const response = await v2.request(location, { method: 'PUT' });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('DIGEST_INVALID');
    expect((await v2.request(location)).status).toBe(204);
  });

  it('refuses a digest that does not match and removes everything the upload staged', async () => {
    const location = await startUpload('finish');
    await patch(location, 'actual bytes');
    const claimed = digestOf(Buffer.from('other bytes'));
    const response = await v2.request(`${location}?digest=${claimed}`, { method: 'PUT' });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('DIGEST_INVALID');
    await expectNothingLeft('finish', location, claimed);
    expect(
      await t.stores
        .get('local')!
        .stat({ digest: digestOf(Buffer.from('actual bytes')), key: null }),
    ).toBeNull();
  });

  it('deduplicates a blob pushed twice', async () => {
    const first = await v2.pushBlob('dedupe/a', 'same bytes');
    const second = await v2.pushBlob('dedupe/b', 'same bytes');
    expect(second.digest).toBe(first.digest);
    expect(await (await v2.request(`/v2/dedupe/b/blobs/${first.digest}`)).text()).toBe(
      'same bytes',
    );
  });
});

describe('a finishing PUT that fails after its chunk was written', () => {
  let failing: TestRegistry;
  let commitFails = false;
  beforeAll(async () => {
    failing = await startTestRegistry({
      storage: 'fs',
      // The store takes the last chunk, then cannot make it a blob (a full disk, an S3 error).
      wrapStore: (_name, store) =>
        new Proxy(store, {
          get(target, property, receiver) {
            if (property === 'commitUpload') {
              return (...args: Parameters<BlobStore['commitUpload']>) => {
                if (!commitFails) return target.commitUpload(...args);
                commitFails = false;
                return Promise.reject(new Error('no space left on device'));
              };
            }
            const value: unknown = Reflect.get(target, property, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
  });
  afterAll(() => failing.close());

  it('leaves the session as it was before the request, so the client can send its chunk again', async () => {
    const client = new V2Client(failing.app);
    const location = (
      await client.request('/v2/retry/me/blobs/uploads/', { method: 'POST' })
    ).headers.get('location')!;
    const patched = await client.request(location, {
      method: 'PATCH',
      body: 'abc',
      headers: octets,
    });
    expect(patched.headers.get('range')).toBe('0-2');
    const whole = `${location}?digest=${digestOf(Buffer.from('abcdef'))}`;
    const lastChunk = {
      method: 'PUT',
      body: 'def',
      headers: { ...octets, 'Content-Length': '3' },
    };

    commitFails = true;
    const failed = await client.request(whole, lastChunk);
    expect(failed.status).toBe(500);
    const status = await client.request(location);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-2');

    const done = await client.request(whole, lastChunk);
    expect(done.status).toBe(201);
    const pulled = await client.request(`/v2/retry/me/blobs/${digestOf(Buffer.from('abcdef'))}`);
    expect(await pulled.text()).toBe('abcdef');
  });
});

describe('upload sessions', () => {
  it('cancels with DELETE, after which the session is unknown', async () => {
    const location = await startUpload('cancel');
    await patch(location, 'to be dropped');
    expect((await v2.request(location, { method: 'DELETE' })).status).toBe(204);
    const after = await v2.request(location);
    expect(after.status).toBe(404);
    expect(await errorCode(after)).toBe('BLOB_UPLOAD_UNKNOWN');
    await expectNothingLeft('cancel', location, digestOf(Buffer.from('to be dropped')));
  });

  it('does not let another repository use the session', async () => {
    const location = await startUpload('owner');
    const foreign = location.replace('/v2/owner/', '/v2/thief/');
    for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
      const response = await v2.request(foreign, {
        method,
        ...(method === 'PATCH' ? { body: 'x' } : {}),
      });
      expect(response.status, method).toBe(404);
      expect(await errorCode(response), method).toBe('BLOB_UPLOAD_UNKNOWN');
    }
  });

  it('reports an unknown session id', async () => {
    await startUpload('owner');
    const response = await v2.request(
      '/v2/owner/blobs/uploads/00000000-0000-0000-0000-000000000000',
    );
    expect(await errorCode(response)).toBe('BLOB_UPLOAD_UNKNOWN');
  });
});

describe('cross-repository mount', () => {
  it('links a blob from a repository that has it', async () => {
    const blob = await v2.pushBlob('mount/source', 'shared layer');
    const response = await v2.request(
      `/v2/mount/target/blobs/uploads/?mount=${blob.digest}&from=mount/source`,
      { method: 'POST' },
    );
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/v2/mount/target/blobs/${blob.digest}`);
    expect(response.headers.get('docker-content-digest')).toBe(blob.digest);
    expect(await (await v2.request(`/v2/mount/target/blobs/${blob.digest}`)).text()).toBe(
      'shared layer',
    );
  });

  it.each([
    ['the source lacks the blob', 'mount/empty'],
    ['the source does not exist', 'mount/nowhere'],
    ['no source is named', null],
  ])('falls back to a new upload session when %s', async (_why, from) => {
    await v2.request('/v2/mount/empty/blobs/uploads/', { method: 'POST' });
    const blob = await v2.pushBlob('mount/elsewhere', `only elsewhere ${String(from)}`);
    const query = from ? `mount=${blob.digest}&from=${from}` : `mount=${blob.digest}`;
    const response = await v2.request(`/v2/mount/target2/blobs/uploads/?${query}`, {
      method: 'POST',
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toMatch(/^\/v2\/mount\/target2\/blobs\/uploads\//);
    expect(
      (await v2.request(`/v2/mount/target2/blobs/${blob.digest}`, { method: 'HEAD' })).status,
    ).toBe(404);
  });
});
