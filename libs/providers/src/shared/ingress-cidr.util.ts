import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface IngressCidr {
  family: 4 | 6;
  /** Canonical text: a.b.c.d/32 or a network a.b.c.0/24; IPv6 compressed in lower case, always with its prefix. */
  cidr: string;
}

/** The widest networks a rule may name (§16): anything wider would open a firewall to much of the internet. */
export const MIN_INGRESS_PREFIX = { 4: 8, 6: 32 } as const;

/**
 * Accepts one address (bare, /32 or /128: a session's) or a network with no host bits set and a
 * prefix of at least /8 (IPv4) or /32 (IPv6) (a static rule's). Anything wider or malformed is
 * refused, so that a bug upstream can never turn "let this office in" into "let everyone in".
 */
export function parseIngressCidr(input: string): IngressCidr | null {
  if (typeof input !== 'string') {
    return null;
  }
  const [address, prefixText, extra] = input.trim().split('/');
  if (extra !== undefined || !address || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) {
    return null;
  }
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : null;
  if (family === null) {
    return null;
  }
  const full = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? full : Number(prefixText);
  if (prefix > full || prefix < MIN_INGRESS_PREFIX[family]) {
    return null;
  }
  const canonical = family === 4 ? address : canonicalIpv6(address);
  if (!canonical) {
    return null;
  }
  if (prefix < full) {
    const network = (family === 4 ? ipaddr.IPv4 : ipaddr.IPv6).networkAddressFromCIDR(`${canonical}/${prefix}`).toString();
    if (network !== ipaddr.parse(canonical).toString()) {
      return null; // host bits set: not a network
    }
  }
  return { family, cidr: `${canonical}/${prefix}` };
}

/**
 * Providers store IPv6 in compressed lower-case form; comparing in that form keeps add/remove
 * idempotent whatever spelling the caller used. The WHATWG URL parser does exactly that.
 */
export function canonicalIpv6(address: string): string | null {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

/** Whitelist entries may be bare addresses or CIDRs; this lets "1.2.3.4" match "1.2.3.4/32". */
export function sameIngressEntry(entry: unknown, cidr: IngressCidr): boolean {
  if (typeof entry !== 'string') {
    return false;
  }
  const parsed = parseIngressCidr(entry);
  return parsed !== null && parsed.cidr === cidr.cidr;
}
