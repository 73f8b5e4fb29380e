import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { hostnameOf } from '../../registry/external-reference.js';

/**
 * Keeps every outbound call (mirror syncs, notification webhooks) from
 * being pointed at the registry's own network (server-side request
 * forgery): a host may not resolve to a loopback, private, link-local or
 * otherwise internal address unless the operator allows it
 * (`BERTH_OUTBOUND_ALLOWED_HOSTS`: host names, addresses and CIDR ranges).
 * Checked when a mirror or notification is saved, and on every connection
 * opened, redirects and token realms included, so a name that changes its
 * address later gains nothing.
 */

const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  // Local-use NAT64 (RFC 8215): translated to whatever the operator's network holds.
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  // Site-local, deprecated but still routed by some stacks.
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address, a trailing dotted quad included; null if not one. */
function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (h: string) => (h === '' ? [] : h.split(':').map((g) => parseInt(g, 16)));
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 0) return null;
  const groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

const quad = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/**
 * The IPv4 address an IPv6 address reaches, for the forms that carry one:
 * IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64
 * (`64:ff9b::/96`), 6to4 (`2002::/16`) and Teredo (`2001::/32`, whose
 * client address is stored inverted). The kernel, a NAT64 gateway or a relay
 * delivers such a packet to that IPv4 address, so it is judged as one.
 */
function embeddedIpv4(groups: number[]): string | null {
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return quad(groups[6]!, groups[7]!);
  if (zeros(0, 6) && (groups[6] !== 0 || groups[7]! > 1)) return quad(groups[6]!, groups[7]!);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) {
    return quad(groups[6]!, groups[7]!);
  }
  if (groups[0] === 0x2002) return quad(groups[1]!, groups[2]!);
  if (groups[0] === 0x2001 && groups[1] === 0) {
    return quad(groups[6]! ^ 0xffff, groups[7]! ^ 0xffff);
  }
  return null;
}

/** An address as the packet's real destination: IPv4 inside IPv6 taken out, brackets dropped. */
function destination(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 6) return { address: bare, family: 'ipv4' };
  const groups = ipv6Groups(bare);
  const inner = groups && embeddedIpv4(groups);
  return inner ? { address: inner, family: 'ipv4' } : { address: bare, family: 'ipv6' };
}

export type Resolver = (hostname: string) => Promise<string[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses: LookupAddress[]) =>
      error ? reject(error) : resolve(addresses.map((a) => a.address)),
    ),
  );

export class AddressGuard {
  private readonly allowedNames = new Set<string>();
  private readonly allowedAddresses = new BlockList();

  constructor(
    allowed: string[],
    private readonly resolve: Resolver = systemResolver,
  ) {
    for (const entry of allowed.map((a) => a.trim().toLowerCase()).filter(Boolean)) {
      const [net, prefix] = entry.split('/');
      const family = isIP(net!);
      if (family && prefix !== undefined) {
        this.allowedAddresses.addSubnet(net!, Number(prefix), family === 6 ? 'ipv6' : 'ipv4');
      } else if (family) {
        this.allowedAddresses.addAddress(net!, family === 6 ? 'ipv6' : 'ipv4');
      } else {
        this.allowedNames.add(entry);
      }
    }
  }

  /** Whether an address (as a socket would dial it) is internal and not allowed. */
  forbidden(address: string): boolean {
    const bare = address.replace(/^\[|\]$/g, '');
    const { address: a, family } = destination(bare);
    if (!INTERNAL.check(a, family)) return false;
    // An operator who allowed the address as written allowed it.
    const written = isIP(bare) === 6 ? 'ipv6' : 'ipv4';
    return !this.allowedAddresses.check(a, family) && !this.allowedAddresses.check(bare, written);
  }

  /** Why connecting to `host` (a name or address, with or without a port) is refused, or null. */
  async refusal(host: string): Promise<string | null> {
    const hostname = hostnameOf(host);
    const name = hostname.toLowerCase();
    if (this.allowedNames.has(name)) return null;
    const literal = name.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = isIP(literal) ? [literal] : await this.resolve(name);
    } catch (error) {
      return `cannot resolve ${hostname}: ${(error as Error).message}`;
    }
    const bad = addresses.find((a) => this.forbidden(a));
    if (bad === undefined) return null;
    const what = isIP(literal) ? `${hostname} is` : `${hostname} resolves to ${bad},`;
    return `${what} an internal address; add the host to BERTH_OUTBOUND_ALLOWED_HOSTS to reach it`;
  }

  /**
   * Why a notification may not call `url`, or null: it must be http(s),
   * carry no credentials, and name a host the guard allows.
   */
  async urlRefusal(url: string): Promise<string | null> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'not a URL';
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      return 'the URL must be http or https';
    }
    if (parsed.username || parsed.password) return 'the URL may not carry credentials';
    return this.refusal(parsed.host);
  }

  /** A `lookup` for sockets: resolves, then refuses internal addresses the allow-list lacks. */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const allowedName = this.allowedNames.has(hostname.toLowerCase());
    this.resolve(hostname).then(
      (addresses) => {
        const usable = allowedName ? addresses : addresses.filter((a) => !this.forbidden(a));
        if (usable.length === 0) {
          const error = Object.assign(
            new Error(`refusing to connect to ${hostname}: it resolves to an internal address`),
            { code: 'EADDRNOTALLOWED' },
          );
          callback(error, '', 0);
          return;
        }
        const list = usable.map((address) => ({ address, family: isIP(address) }));
        if (options.all) callback(null, list);
        else callback(null, list[0]!.address, list[0]!.family);
      },
      (error: Error) => callback(error, '', 0),
    );
  };
}
