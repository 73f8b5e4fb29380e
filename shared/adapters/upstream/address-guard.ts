import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { hostnameOf } from '../../registry/external-reference.js';

/**
 * Keeps the mirror worker from being pointed at the registry's own network
 * (server-side request forgery): an upstream host may not resolve to a
 * loopback, private, link-local or otherwise internal address unless the
 * operator allows it (`BERTH_MIRROR_ALLOWED_HOSTS`: host names, addresses
 * and CIDR ranges). Checked when a mirror is saved, before each run, and on
 * every connection the worker opens, redirects and token realms included,
 * so a name that changes its address later gains nothing.
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
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

/** `::ffff:10.0.0.1` is 10.0.0.1 to the kernel. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
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
    const { address: a, family } = unmapped(address);
    return INTERNAL.check(a, family) && !this.allowedAddresses.check(a, family);
  }

  /** Why connecting to `host` (a name or address, with or without a port) is refused, or null. */
  async refusal(host: string): Promise<string | null> {
    const hostname = hostnameOf(host);
    const name = hostname.toLowerCase();
    if (this.allowedNames.has(name)) return null;
    let addresses: string[];
    try {
      addresses = isIP(name) ? [name] : await this.resolve(name);
    } catch (error) {
      return `cannot resolve ${hostname}: ${(error as Error).message}`;
    }
    const bad = addresses.find((a) => this.forbidden(a));
    if (bad === undefined) return null;
    return (
      `${hostname} resolves to ${bad}, an internal address; ` +
      'add the host to BERTH_MIRROR_ALLOWED_HOSTS to mirror from it'
    );
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
