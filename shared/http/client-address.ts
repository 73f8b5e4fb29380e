import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';

/**
 * Where a request came from, for login throttling and the audit log. By
 * default the connection's own peer: a client-supplied header is never
 * believed unless the peer is a proxy the operator named.
 */
export interface ClientAddressOptions {
  /** The runtime's peer: the socket's remote address, or the event's source IP. */
  peer?: (c: Context) => string | undefined;
  /**
   * Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed:
   * the client is the right-most address in it that is not one of them.
   */
  trustedProxies?: readonly string[];
  /**
   * A header a front door writes the client's address into, where nothing
   * but that front door reaches the registry (on AWS, the distribution's
   * function sets it from the viewer's address and drops any the viewer sent).
   */
  header?: string | undefined;
}

/** `::ffff:192.0.2.1` as sockets report IPv4 peers on a dual-stack listener. */
function normalized(address: string): string {
  const trimmed = address.trim();
  return trimmed.startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

function proxyList(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const [address, prefix] = range.split('/') as [string, string | undefined];
    const family = isIP(address);
    if (!family) throw new Error(`trusted proxy ${range} is not an address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

export function clientAddressResolver(
  options: ClientAddressOptions = {},
): (c: Context) => string | null {
  const proxies = proxyList(options.trustedProxies ?? []);
  const trusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && proxies.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  return (c) => {
    if (options.header) {
      const stated = normalized(c.req.header(options.header) ?? '');
      if (isIP(stated)) return stated;
    }
    const peer = options.peer?.(c);
    if (!peer) return null;
    let client = normalized(peer);
    if (!trusted(client)) return client;
    const forwarded = (c.req.header('x-forwarded-for') ?? '').split(',').map(normalized);
    for (let i = forwarded.length - 1; i >= 0; i--) {
      const hop = forwarded[i]!;
      if (!isIP(hop)) break;
      client = hop;
      if (!trusted(hop)) break;
    }
    return client;
  };
}
