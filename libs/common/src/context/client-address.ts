import ipaddr from 'ipaddr.js';
import type { FastifyRequest } from 'fastify';

/**
 * The caller's address (§7): Fastify's `request.ip` (X-Forwarded-For only from the proxies
 * TRUST_PROXY names), used only when it parses as an IP address, else the connection's own.
 * Written in one canonical form (IPv4-mapped IPv6 as IPv4), so it can be stored and compared.
 * Anything else, such as `'; drop table x;--` in a forwarded header, is never used.
 */
export function clientAddress(request: Pick<FastifyRequest, 'ip' | 'socket'>): string | undefined {
  return canonicalAddress(request.ip) ?? canonicalAddress(request.socket?.remoteAddress);
}

/** The common case, a plain dotted IPv4 address, without a parse: each octet 0-255, no leading zeros. */
const PLAIN_IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function canonicalAddress(text: string | undefined): string | undefined {
  if (!text || text.length > 64) {
    return undefined;
  }
  if (PLAIN_IPV4.test(text)) {
    return text;
  }
  const bare = text.replace(/^\[|\]$/g, '');
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) {
    return ipaddr.IPv4.parse(bare).toString();
  }
  if (!bare.includes(':') || !ipaddr.IPv6.isValid(bare)) {
    return undefined;
  }
  const v6 = ipaddr.IPv6.parse(bare);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toString();
}
