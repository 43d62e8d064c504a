import ipaddr from 'ipaddr.js';
import { canonicalAddress, ValidationError } from '@app/common';

/** Ranges no firewall should be opened to for a person (§13): they name no one, or everyone. */
const REFUSED_RANGES = new Set(['unspecified', 'loopback', 'multicast', 'linkLocal', 'broadcast']);

export interface SessionAddresses {
  ipv4Address: string | null;
  ipv6Address: string | null;
}

/**
 * The addresses a session opens to: those in the body, else the client address (§7). Single
 * addresses only, in canonical form; special ranges refused with the field named.
 */
export function sessionAddresses(body: { ipv4Address?: string; ipv6Address?: string }, clientIp: string | undefined): SessionAddresses {
  if (body.ipv4Address === undefined && body.ipv6Address === undefined) {
    const client = clientIp ? canonicalAddress(clientIp) : undefined;
    if (!client) {
      throw invalid('ipv4Address', 'your address could not be determined: send ipv4Address or ipv6Address');
    }
    const field = client.includes(':') ? 'ipv6Address' : 'ipv4Address';
    return { ipv4Address: null, ipv6Address: null, [field]: checked(field, client, `your address ${client}`) };
  }
  return {
    ipv4Address: body.ipv4Address === undefined ? null : checked('ipv4Address', body.ipv4Address),
    ipv6Address: body.ipv6Address === undefined ? null : checked('ipv6Address', body.ipv6Address),
  };
}

function checked(field: 'ipv4Address' | 'ipv6Address', text: string, label = text): string {
  const v4 = field === 'ipv4Address';
  if (v4 ? !ipaddr.IPv4.isValidFourPartDecimal(text) : text.includes('.') || !ipaddr.IPv6.isValid(text)) {
    throw invalid(field, `must be a single ${v4 ? 'IPv4' : 'IPv6'} address, without a prefix length`);
  }
  const address = v4 ? ipaddr.IPv4.parse(text) : ipaddr.IPv6.parse(text);
  const range = address.range();
  if (REFUSED_RANGES.has(range) || (!v4 && (address as ipaddr.IPv6).isIPv4MappedAddress())) {
    throw invalid(field, `${label} is a ${range} address; a session needs an address that identifies you`);
  }
  return address.toString();
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError('Request validation failed', [{ field, message }]);
}
