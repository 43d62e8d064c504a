import { isIPv4, isIPv6 } from 'node:net';

export interface SingleAddressCidr {
  family: 4 | 6;
  /** Canonical text: a.b.c.d/32, or a compressed lower-case IPv6 address with /128. */
  cidr: string;
}

/**
 * Accepts one address only (/32 or /128, or a bare address). Anything wider is refused so that a
 * bug upstream can never turn "let this user in" into "let everyone in".
 */
export function parseSingleAddressCidr(input: string): SingleAddressCidr | null {
  if (typeof input !== 'string') {
    return null;
  }
  const [address, prefix, extra] = input.trim().split('/');
  if (extra !== undefined || !address) {
    return null;
  }
  if (isIPv4(address)) {
    return prefix === undefined || prefix === '32' ? { family: 4, cidr: `${address}/32` } : null;
  }
  if (isIPv6(address)) {
    const canonical = canonicalIpv6(address);
    if (!canonical) {
      return null;
    }
    return prefix === undefined || prefix === '128' ? { family: 6, cidr: `${canonical}/128` } : null;
  }
  return null;
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
export function sameIngressEntry(entry: unknown, cidr: SingleAddressCidr): boolean {
  if (typeof entry !== 'string') {
    return false;
  }
  const parsed = parseSingleAddressCidr(entry);
  return parsed !== null && parsed.cidr === cidr.cidr;
}
