import type { Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientAddressResolver } from '../../shared/http/client-address.js';

/** A request as the resolver sees it: its headers, and the peer the runtime reports. */
function request(peer: string | undefined, headers: Record<string, string> = {}) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { peer, c: { req: { header: (name: string) => lower[name.toLowerCase()] } } as Context };
}

const resolve = (
  options: Parameters<typeof clientAddressResolver>[0],
  peer: string | undefined,
  headers?: Record<string, string>,
) => {
  const r = request(peer, headers);
  return clientAddressResolver({ ...options, peer: () => r.peer })(r.c);
};

describe('the client address', () => {
  it('is the connection peer, whatever X-Forwarded-For says, unless the peer is a named proxy', () => {
    expect(resolve({}, '203.0.113.9', { 'X-Forwarded-For': '10.0.0.1' })).toBe('203.0.113.9');
    expect(resolve({}, '::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(resolve({}, undefined)).toBeNull();
  });

  it('behind named proxies, is the right-most forwarded address that is not one of them', () => {
    const proxies = { trustedProxies: ['10.0.0.0/8', '192.0.2.1'] };
    const headers = { 'X-Forwarded-For': '198.51.100.1, 203.0.113.50, 10.1.2.3' };
    // The left-most entry is the client's own claim: never believed past an untrusted hop.
    expect(resolve(proxies, '192.0.2.1', headers)).toBe('203.0.113.50');
    expect(resolve(proxies, '10.9.9.9', { 'X-Forwarded-For': '10.1.1.1, 10.2.2.2' })).toBe(
      '10.1.1.1',
    );
    expect(resolve(proxies, '10.9.9.9', { 'X-Forwarded-For': 'not-an-address' })).toBe('10.9.9.9');
    expect(resolve(proxies, '203.0.113.7', headers)).toBe('203.0.113.7');
    expect(resolve({ trustedProxies: ['2001:db8::/32'] }, '2001:db8::1', headers)).toBe('10.1.2.3');
  });

  it("is a front door's header where only the front door reaches the registry", () => {
    const edge = { header: 'x-berth-viewer-address' };
    expect(resolve(edge, '10.0.0.5', { 'x-berth-viewer-address': '198.51.100.77' })).toBe(
      '198.51.100.77',
    );
    expect(resolve(edge, '10.0.0.5', { 'x-berth-viewer-address': 'garbage' })).toBe('10.0.0.5');
  });

  it('refuses a trusted proxy that is not an address or range', () => {
    expect(() => clientAddressResolver({ trustedProxies: ['proxy.internal'] })).toThrow(
      /not an address or CIDR range/,
    );
  });
});
