import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../shared/adapters/blob/s3-blob-store.js';
import { startTestRegistry, type TestRegistry } from '../support/harness.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { verifyPresignedGet } from '../support/sigv4.js';
import { V2Client } from '../support/v2-client.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
  await s3.createBucket('berth-redirect');
  await s3.createBucket('berth-proxy');
});
afterAll(() => s3.close());

describe('blob GET on S3 storage', () => {
  let t: TestRegistry;
  beforeAll(async () => {
    const store = new S3BlobStore({
      client: s3.client,
      bucket: 'berth-redirect',
      prefix: 'eu',
      redirects: true,
    });
    t = await startTestRegistry({ localStore: store, options: { redirectExpirySeconds: 120 } });
  });
  afterAll(() => t.close());

  it('answers 307 with a SigV4 presigned URL for the right bucket and key', async () => {
    const v2 = new V2Client(t.app);
    const blob = await v2.pushBlob('org/app', 'bytes that live in S3');
    const response = await v2.request(`/v2/org/app/blobs/${blob.digest}`);
    expect(response.status).toBe(307);
    expect(response.headers.get('docker-content-digest')).toBe(blob.digest);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(s3.endpoint);
    const hex = blob.digest.slice('sha256:'.length);
    expect(location.pathname).toBe(`/berth-redirect/eu/blobs/sha256/${hex.slice(0, 2)}/${hex}`);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(location.searchParams.get('X-Amz-Credential')).toMatch(
      /^S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request$/,
    );
    expect(verifyPresignedGet(location, s3.secretAccessKey)).toEqual({ valid: true });
    expect(verifyPresignedGet(location, 'another secret')).toMatchObject({ valid: false });
    expect(await (await fetch(location)).text()).toBe('bytes that live in S3');
  });

  it('answers HEAD itself, since the presigned URL is signed for GET only', async () => {
    const v2 = new V2Client(t.app);
    const blob = await v2.pushBlob('org/app', 'headed');
    const response = await v2.request(`/v2/org/app/blobs/${blob.digest}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('6');
    expect(response.headers.get('location')).toBeNull();
  });

  it('redirects ranged reads too, and the client sends its Range to the presigned URL', async () => {
    const v2 = new V2Client(t.app);
    const blob = await v2.pushBlob('org/app', '0123456789');
    const response = await v2.request(`/v2/org/app/blobs/${blob.digest}`, {
      headers: { Range: 'bytes=2-' },
    });
    expect(response.status).toBe(307);
    // What containerd and docker do when they resume a pull: follow with the same Range.
    const followed = await fetch(response.headers.get('location')!, {
      headers: { Range: 'bytes=2-' },
    });
    expect(followed.status).toBe(206);
    expect(followed.headers.get('content-range')).toBe('bytes 2-9/10');
    expect(await followed.text()).toBe('23456789');
  });

  it('still refuses an unsatisfiable range itself, with 416', async () => {
    const v2 = new V2Client(t.app);
    const blob = await v2.pushBlob('org/app', '0123456789');
    const response = await v2.request(`/v2/org/app/blobs/${blob.digest}`, {
      headers: { Range: 'bytes=10-' },
    });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe('bytes */10');
  });
});

describe('blob GET on S3 storage in proxy mode (FEATURE_PROXY_STORAGE)', () => {
  it('streams the bytes through the registry', async () => {
    const store = new S3BlobStore({ client: s3.client, bucket: 'berth-proxy', redirects: false });
    const t = await startTestRegistry({ localStore: store });
    try {
      const v2 = new V2Client(t.app);
      const blob = await v2.pushBlob('org/app', 'proxied bytes');
      const response = await v2.request(`/v2/org/app/blobs/${blob.digest}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe('13');
      expect(await response.text()).toBe('proxied bytes');
    } finally {
      await t.close();
    }
  });
});
