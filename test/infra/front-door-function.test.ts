import { describe, expect, it } from 'vitest';
import { frontDoorFunctionCode } from '../../infra/edge/front-door-function.js';
import { runViewerRequest, viewerRequest } from './cloudfront-function-runtime.js';

const dataPlanes = [
  { region: 'us-east-1', originId: 'uploads-us-east-1' },
  { region: 'eu-central-1', originId: 'uploads-eu-central-1' },
  { region: 'ap-southeast-2', originId: 'uploads-ap-southeast-2' },
];

const frankfurt = {
  'cloudfront-viewer-latitude': { value: '50.11090' },
  'cloudfront-viewer-longitude': { value: '8.68213' },
};
const melbourne = {
  'cloudfront-viewer-latitude': { value: '-37.81360' },
  'cloudfront-viewer-longitude': { value: '144.96310' },
};

describe('the front door function', () => {
  const code = frontDoorFunctionCode(dataPlanes, { blobReads: false });

  it("sends an upload to the data plane of the viewer's nearest region", () => {
    expect(
      runViewerRequest(code, viewerRequest('POST', '/v2/acme/app/blobs/uploads/', frankfurt))
        .selectedOrigin,
    ).toBe('uploads-eu-central-1');
    expect(
      runViewerRequest(code, viewerRequest('PATCH', '/v2/acme/app/blobs/uploads/3f6c', melbourne))
        .selectedOrigin,
    ).toBe('uploads-ap-southeast-2');
  });

  it('keeps the first region when the viewer location is missing or unreadable', () => {
    for (const headers of [
      {} as Record<string, { value: string }>,
      {
        'cloudfront-viewer-latitude': { value: 'north' },
        'cloudfront-viewer-longitude': { value: '8.68' },
      },
    ]) {
      expect(
        runViewerRequest(code, viewerRequest('PUT', '/v2/acme/app/blobs/uploads/3f6c', headers))
          .selectedOrigin,
      ).toBe('uploads-us-east-1');
    }
  });

  it('leaves every other request on its behavior, the API next to the database', () => {
    for (const uri of [
      '/v2/',
      '/v2/acme/app/manifests/latest',
      `/v2/acme/app/blobs/sha256:${'a'.repeat(64)}`,
      '/api/v1/user',
    ]) {
      expect(
        runViewerRequest(code, viewerRequest('GET', uri, frankfurt)).selectedOrigin,
      ).toBeNull();
    }
  });

  it('sends an upload session where its URL says it lives, wherever the viewer is', () => {
    // A Frankfurt viewer whose upload the Frankfurt region handed to Sydney (its storage was down).
    const handedOff = viewerRequest('PATCH', '/v2/acme/app/blobs/uploads/3f6c', frankfurt);
    handedOff.request.querystring = { _location: { value: 'ap-southeast-2' } };
    expect(runViewerRequest(code, handedOff).selectedOrigin).toBe('uploads-ap-southeast-2');
    // A name that is no region of ours changes nothing.
    const unknown = viewerRequest('PUT', '/v2/acme/app/blobs/uploads/3f6c', frankfurt);
    unknown.request.querystring = { _location: { value: 'uploads-xx' }, digest: { value: 'x' } };
    expect(runViewerRequest(code, unknown).selectedOrigin).toBe('uploads-eu-central-1');
    // Blob reads never follow it.
    const read = viewerRequest('GET', `/v2/acme/app/blobs/sha256:${'a'.repeat(64)}`, frankfurt);
    read.request.querystring = { _location: { value: 'ap-southeast-2' } };
    expect(
      runViewerRequest(frontDoorFunctionCode(dataPlanes, { blobReads: true }), read).selectedOrigin,
    ).toBe('uploads-eu-central-1');
  });

  it('sends blob reads to the nearest data plane when asked (storage proxy mode, or several regions)', () => {
    const proxying = frontDoorFunctionCode(dataPlanes, { blobReads: true });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(
      runViewerRequest(proxying, viewerRequest('GET', `/v2/acme/app/blobs/${digest}`, frankfurt))
        .selectedOrigin,
    ).toBe('uploads-eu-central-1');
    expect(
      runViewerRequest(proxying, viewerRequest('GET', '/v2/acme/app/manifests/v1', frankfurt))
        .selectedOrigin,
    ).toBeNull();
  });

  it("passes the viewer's host and address on in the front door's own headers, and drops a viewer's origin secret", () => {
    const event = viewerRequest('PATCH', '/v2/acme/app/blobs/uploads/3f6c', {
      'x-berth-origin-verify': { value: 'guessed' },
      'x-berth-viewer-address': { value: '10.0.0.1' },
    });
    const { request } = runViewerRequest(code, event);
    expect(request.headers['x-berth-viewer-host']).toEqual({ value: 'registry.example.com' });
    // CloudFront's own record of the viewer, never what the viewer claims.
    expect(request.headers['x-berth-viewer-address']).toEqual({ value: event.viewer.ip });
    expect(request.headers['x-berth-origin-verify']).toBeUndefined();
  });

  it('refuses a region whose location it does not know', () => {
    expect(() =>
      frontDoorFunctionCode([{ region: 'xx-nowhere-1', originId: 'uploads-xx' }], {
        blobReads: false,
      }),
    ).toThrow('xx-nowhere-1');
  });
});
