import { describe, expect, it, vi } from 'vitest';
import { frontDoorFunctionCode } from '../../infra/edge/front-door-function.js';

const targets = [
  { region: 'us-east-1', domainName: 'use1-alb.elb.amazonaws.com', originSecret: 'secret-use1' },
  { region: 'eu-central-1', domainName: 'euc1-alb.elb.amazonaws.com', originSecret: 'secret-euc1' },
  {
    region: 'ap-southeast-2',
    domainName: 'apse2-alb.elb.amazonaws.com',
    originSecret: 'secret-apse2',
  },
];

type Headers = Record<string, { value: string }>;

/**
 * Runs the generated function as CloudFront Functions would: JavaScript
 * runtime 2.0 with the `cloudfront` module, called with a viewer-request event.
 */
function frontDoor() {
  const code = frontDoorFunctionCode(/^\/v2\/.+\/blobs\/uploads/, targets);
  const [importLine, ...body] = code.split('\n');
  expect(importLine).toBe("import cf from 'cloudfront';");
  const cf = { updateRequestOrigin: vi.fn() };
  const handler = new Function('cf', `${body.join('\n')}\nreturn handler;`)(cf) as (event: {
    request: { uri: string; headers: Headers };
  }) => { uri: string; headers: Headers };
  return { cf, handler };
}

/** A viewer-request event in CloudFront Functions' shape. */
function viewerRequest(method: string, uri: string, headers: Headers) {
  return {
    version: '1.0',
    context: {
      distributionDomainName: 'd111111abcdef8.cloudfront.net',
      distributionId: 'EDFDVBD6EXAMPLE',
      eventType: 'viewer-request',
      requestId: '4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==',
    },
    viewer: { ip: '198.51.100.11' },
    request: {
      method,
      uri,
      querystring: {},
      headers: { host: { value: 'registry.example.com' }, ...headers },
      cookies: {},
    },
  };
}

const frankfurt = {
  'cloudfront-viewer-latitude': { value: '50.11090' },
  'cloudfront-viewer-longitude': { value: '8.68213' },
};
const melbourne = {
  'cloudfront-viewer-latitude': { value: '-37.81360' },
  'cloudfront-viewer-longitude': { value: '144.96310' },
};

describe('the front door function', () => {
  it("sends an upload to the data plane of the viewer's nearest region, with that region's secret", () => {
    const { cf, handler } = frontDoor();
    handler(viewerRequest('POST', '/v2/acme/app/blobs/uploads/', frankfurt));
    handler(viewerRequest('PATCH', '/v2/acme/app/blobs/uploads/3f6c', melbourne));
    expect(cf.updateRequestOrigin.mock.calls).toEqual([
      [
        {
          domainName: 'euc1-alb.elb.amazonaws.com',
          customHeaders: { 'x-berth-origin-verify': 'secret-euc1' },
        },
      ],
      [
        {
          domainName: 'apse2-alb.elb.amazonaws.com',
          customHeaders: { 'x-berth-origin-verify': 'secret-apse2' },
        },
      ],
    ]);
  });

  it('keeps the first region when the viewer location is missing or unreadable', () => {
    const { cf, handler } = frontDoor();
    handler(viewerRequest('PUT', '/v2/acme/app/blobs/uploads/3f6c', {}));
    handler(
      viewerRequest('PUT', '/v2/acme/app/blobs/uploads/3f6c', {
        'cloudfront-viewer-latitude': { value: 'north' },
        'cloudfront-viewer-longitude': { value: '8.68' },
      }),
    );
    expect(cf.updateRequestOrigin.mock.calls.map(([o]) => o.domainName)).toEqual([
      'use1-alb.elb.amazonaws.com',
      'use1-alb.elb.amazonaws.com',
    ]);
  });

  it('leaves every other request on its origin, the API next to the database', () => {
    const { cf, handler } = frontDoor();
    for (const uri of [
      '/v2/',
      '/v2/acme/app/manifests/latest',
      '/v2/acme/app/blobs/sha256:aa',
      '/api/v1/user',
    ]) {
      handler(viewerRequest('GET', uri, frankfurt));
    }
    expect(cf.updateRequestOrigin).not.toHaveBeenCalled();
  });

  it("passes the viewer's host on and drops a viewer's attempt at the origin secret", () => {
    const { handler } = frontDoor();
    const request = handler(
      viewerRequest('PATCH', '/v2/acme/app/blobs/uploads/3f6c', {
        'x-berth-origin-verify': { value: 'guessed' },
      }),
    );
    expect(request.headers['x-forwarded-host']).toEqual({ value: 'registry.example.com' });
    expect(request.headers['x-forwarded-proto']).toEqual({ value: 'https' });
    expect(request.headers['x-berth-origin-verify']).toBeUndefined();
  });

  it('refuses a region whose location it does not know', () => {
    expect(() =>
      frontDoorFunctionCode(/x/, [{ region: 'xx-nowhere-1', domainName: 'a', originSecret: 'b' }]),
    ).toThrow('xx-nowhere-1');
  });
});
