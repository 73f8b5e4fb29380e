import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../shared/oci/digest.js';
import type { Descriptor } from '../../shared/oci/manifest.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { errorCode, V2Client } from '../support/v2-client.js';

let t: TestRegistry;
let v2: V2Client;
let blob: Descriptor;
const content = '0123456789abcdefghij';

beforeAll(async () => {
  t = await startTestRegistry({ storage: 'fs' });
  v2 = new V2Client(t.app);
  blob = await v2.pushBlob('org/blobs', content);
});
afterAll(() => t.close());

describe('HEAD and GET on a blob', () => {
  it('answers HEAD with size and digest and no body', async () => {
    const response = await v2.request(`/v2/org/blobs/blobs/${blob.digest}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(content.length));
    expect(response.headers.get('docker-content-digest')).toBe(blob.digest);
    expect(await response.text()).toBe('');
  });

  it('streams the whole blob with caching headers', async () => {
    const response = await v2.request(`/v2/org/blobs/blobs/${blob.digest}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(content);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('etag')).toBe(`"${blob.digest}"`);
    expect(response.headers.get('accept-ranges')).toBe('bytes');
  });

  it.each([
    ['bytes=0-3', '0123', 'bytes 0-3/20'],
    ['bytes=18-', 'ij', 'bytes 18-19/20'],
    ['bytes=-3', 'hij', 'bytes 17-19/20'],
    ['bytes=15-100', 'fghij', 'bytes 15-19/20'],
  ])('serves Range %s as 206', async (range, body, contentRange) => {
    const response = await v2.request(`/v2/org/blobs/blobs/${blob.digest}`, {
      headers: { Range: range },
    });
    expect(response.status).toBe(206);
    expect(await response.text()).toBe(body);
    expect(response.headers.get('content-range')).toBe(contentRange);
    expect(response.headers.get('content-length')).toBe(String(body.length));
  });

  it('answers 416 to a range past the end', async () => {
    const response = await v2.request(`/v2/org/blobs/blobs/${blob.digest}`, {
      headers: { Range: 'bytes=20-30' },
    });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe('bytes */20');
    expect(await errorCode(response)).toBe('RANGE_INVALID');
  });

  it('does not show a blob through a repository it is not linked into', async () => {
    await v2.pushBlob('org/other', 'something');
    const response = await v2.request(`/v2/org/other/blobs/${blob.digest}`);
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe('BLOB_UNKNOWN');
  });

  it('names the repository as unknown before looking at the blob', async () => {
    const response = await v2.request(`/v2/org/missing/blobs/${blob.digest}`);
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe('NAME_UNKNOWN');
  });

  it('refuses malformed digests', async () => {
    for (const digest of ['sha256:short', 'md5:' + 'a'.repeat(32), 'sha256:' + 'A'.repeat(64)]) {
      const response = await v2.request(`/v2/org/blobs/blobs/${digest}`);
      expect(response.status, digest).toBe(400);
      expect(await errorCode(response), digest).toBe('DIGEST_INVALID');
    }
  });

  it('answers HEAD errors with the status and no body', async () => {
    const response = await v2.request(`/v2/org/blobs/blobs/${digestOf(Buffer.from('absent'))}`, {
      method: 'HEAD',
    });
    expect(response.status).toBe(404);
  });
});

describe('DELETE on a blob', () => {
  it('unlinks it from the repository only', async () => {
    const shared = await v2.pushBlob('del/a', 'shared between two');
    await v2.pushBlob('del/b', 'shared between two');
    const response = await v2.request(`/v2/del/a/blobs/${shared.digest}`, { method: 'DELETE' });
    expect(response.status).toBe(202);
    expect((await v2.request(`/v2/del/a/blobs/${shared.digest}`, { method: 'HEAD' })).status).toBe(
      404,
    );
    expect((await v2.request(`/v2/del/b/blobs/${shared.digest}`, { method: 'HEAD' })).status).toBe(
      200,
    );
    const again = await v2.request(`/v2/del/a/blobs/${shared.digest}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await errorCode(again)).toBe('BLOB_UNKNOWN');
  });

  it('is refused with UNSUPPORTED when deletion is disabled', async () => {
    const locked = await startTestRegistry({ options: { deletionEnabled: false } });
    try {
      const client = new V2Client(locked.app);
      const kept = await client.pushBlob('keep', 'forever');
      const response = await client.request(`/v2/keep/blobs/${kept.digest}`, { method: 'DELETE' });
      expect(response.status).toBe(405);
      expect(await errorCode(response)).toBe('UNSUPPORTED');
      expect(
        (await client.request(`/v2/keep/blobs/${kept.digest}`, { method: 'HEAD' })).status,
      ).toBe(200);
    } finally {
      await locked.close();
    }
  });
});

describe('storage placement', () => {
  it('records the location each blob was written to and reads from one that holds it', async () => {
    const multi = await startTestRegistry({ storage: 'fs', extraLocations: ['eu'] });
    try {
      const client = new V2Client(multi.app);
      const pushed = await client.pushBlob('geo', 'placed bytes');
      expect(await multi.registry.deps.metadata.findBlob(pushed.digest)).toEqual({
        digest: pushed.digest,
        size: 12,
        placements: [{ location: 'local', key: null }],
      });
      expect(await multi.stores.get('eu')!.stat({ digest: pushed.digest, key: null })).toBeNull();
      expect(await (await client.request(`/v2/geo/blobs/${pushed.digest}`)).text()).toBe(
        'placed bytes',
      );
    } finally {
      await multi.close();
    }
  });
});
