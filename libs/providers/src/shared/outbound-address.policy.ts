import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Block = [cidr: string, name: string];

/**
 * IPv4 blocks that are not globally reachable (IANA IPv4 Special-Purpose Address Registry), plus
 * cloud platform endpoints that sit on public addresses. A tenant-named endpoint in any of them
 * would let one customer make us call our own network with their key.
 */
const IPV4_REFUSED: Block[] = [
  ['0.0.0.0/8', 'this network'],
  ['10.0.0.0/8', 'private network'],
  ['100.64.0.0/10', 'shared address space (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['172.16.0.0/12', 'private network'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'deprecated 6to4 relay'],
  ['192.168.0.0/16', 'private network'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
  ['168.63.129.16/32', 'cloud platform endpoint'],
];

/** IPv6 blocks that are not globally reachable (IANA IPv6 Special-Purpose Address Registry). */
const IPV6_REFUSED: Block[] = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['100::/64', 'discard-only'],
  ['2001:2::/48', 'benchmarking'],
  ['2001:10::/28', 'deprecated ORCHID'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'segment routing'],
  ['fc00::/7', 'unique local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'deprecated site-local'],
  ['ff00::/8', 'multicast'],
];
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

const parseBlocks = (blocks: Block[]) => blocks.map(([cidr, name]) => ({ range: ipaddr.parseCIDR(cidr), name }));
const IPV4_BLOCKS = parseBlocks(IPV4_REFUSED);
const IPV6_BLOCKS = parseBlocks(IPV6_REFUSED);

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * Decides whether EntryGuard may connect to an address on a tenant's behalf (§18): public unicast
 * only, unless the operator allowed the network (`PROVIDER_ALLOWED_NETWORKS`, e.g. a self-hosted
 * gateway on a private network). IPv6 forms that carry an IPv4 address (mapped, translated, NAT64,
 * 6to4, Teredo, the old compatible form) are judged by the IPv4 address they lead to.
 */
export class OutboundAddressPolicy {
  private readonly allowed: Array<[Address, number]>;

  constructor(allowedNetworks: readonly string[] = []) {
    this.allowed = allowedNetworks.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  check(text: string): AddressVerdict {
    let address: Address;
    try {
      address = ipaddr.parse(text.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
    } catch {
      return { allowed: false, reason: 'not an IP address' };
    }
    return this.judge(address);
  }

  private judge(address: Address): AddressVerdict {
    if (this.isOperatorAllowed(address)) {
      return { allowed: true };
    }
    if (address.kind() === 'ipv4') {
      const block = IPV4_BLOCKS.find(({ range }) => address.match(range));
      return block ? { allowed: false, reason: block.name } : { allowed: true };
    }
    const v6 = address as ipaddr.IPv6;
    const embedded = embeddedIPv4(v6);
    if (embedded.length > 0) {
      for (const inner of embedded) {
        const verdict = this.judge(inner);
        if (!verdict.allowed) {
          return { allowed: false, reason: `${verdict.reason}, embedded in an IPv6 address` };
        }
      }
      return { allowed: true };
    }
    const block = IPV6_BLOCKS.find(({ range }) => v6.match(range));
    if (block) {
      return { allowed: false, reason: block.name };
    }
    return v6.match(IPV6_GLOBAL_UNICAST) ? { allowed: true } : { allowed: false, reason: 'reserved' };
  }

  private isOperatorAllowed(address: Address): boolean {
    return this.allowed.some(([network, bits]) => address.kind() === network.kind() && address.match(network, bits));
  }
}

/** The IPv4 addresses an IPv6 address leads to, for the forms that carry one. */
export function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4[] {
  const p = address.parts;
  const v4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  const zeros = (from: number, to: number) => p.slice(from, to).every((part) => part === 0);
  if (zeros(0, 5) && p[5] === 0xffff) {
    return [v4(p[6], p[7])]; // IPv4-mapped ::ffff:0:0/96
  }
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) {
    return [v4(p[6], p[7])]; // IPv4-translated ::ffff:0:0:0/96
  }
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) {
    return [v4(p[6], p[7])]; // NAT64 64:ff9b::/96
  }
  if (p[0] === 0x2002) {
    return [v4(p[1], p[2])]; // 6to4 2002::/16
  }
  if (p[0] === 0x2001 && p[1] === 0) {
    // Teredo 2001::/32: the server's address, and the client's stored bit-inverted.
    return [v4(p[2], p[3]), v4(~p[6] & 0xffff, ~p[7] & 0xffff)];
  }
  if (zeros(0, 6) && (p[6] !== 0 || p[7] > 1)) {
    return [v4(p[6], p[7])]; // deprecated IPv4-compatible ::a.b.c.d (not :: or ::1)
  }
  return [];
}
