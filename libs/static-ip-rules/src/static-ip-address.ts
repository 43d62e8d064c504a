import ipaddr from 'ipaddr.js';
import { ValidationError } from '@app/common';

/** Shorter prefixes than these open a firewall to a large part of the internet: a typo, never an intent (§16). */
const MIN_PREFIX = { ipv4: 8, ipv6: 32 } as const;
/** Ranges a whitelist entry must not name: nobody in particular, or everyone. */
const REFUSED_RANGES = new Set(['unspecified', 'loopback', 'multicast', 'linkLocal', 'broadcast']);

/**
 * A static rule's address (§16): an IPv4 or IPv6 address or network, parsed by ipaddr.js and
 * written canonically with its prefix (203.0.113.10/32, 10.0.0.0/24, 2001:db8::/48). A network
 * with host bits set is refused with the network it probably meant.
 */
export function normalizeRuleAddress(text: string): string {
  const trimmed = text.trim();
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    if (trimmed.includes('/')) {
      [address, prefix] = ipaddr.parseCIDR(trimmed);
    } else {
      address = ipaddr.parse(trimmed);
      prefix = address.kind() === 'ipv4' ? 32 : 128;
    }
  } catch {
    throw invalid('must be an IPv4 or IPv6 address, or a network in CIDR form such as 10.0.0.0/24');
  }
  if (trimmed.includes('/') && !/\/\d{1,3}$/.test(trimmed)) {
    throw invalid('the prefix length must be a plain number');
  }
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    throw invalid('write IPv4 addresses in dotted form, not IPv4-mapped IPv6');
  }
  if (address.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(trimmed.split('/')[0])) {
    throw invalid('write IPv4 addresses as four decimal numbers, such as 203.0.113.10');
  }
  const kind = address.kind();
  if (prefix < MIN_PREFIX[kind]) {
    throw invalid(`a prefix shorter than /${MIN_PREFIX[kind]} would open the firewall to too much of the internet`);
  }
  const cidr = `${address.toString()}/${prefix}`;
  const network = kind === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  if (network.toString() !== address.toString()) {
    throw invalid(`host bits are set: did you mean ${network.toString()}/${prefix}?`);
  }
  if (REFUSED_RANGES.has(address.range())) {
    throw invalid(`${address.toString()} is a ${address.range()} address`);
  }
  return `${address.toString()}/${prefix}`;
}

function invalid(message: string): ValidationError {
  return new ValidationError('Request validation failed', [{ field: 'ipAddress', message }]);
}
