import { BlockList, isIP } from 'node:net';
import dns, { type LookupAddress } from 'node:dns';
import { Agent } from 'undici';
import { fail, type ProviderFailure } from '../shared/provider-outcome.util';

/**
 * The admin URL is typed in by a customer, and the server calls it with their key: without this
 * guard it could be pointed at the cloud metadata service or other host-local endpoints.
 * Loopback and private ranges stay allowed because self-hosted gateways live there.
 */
const BLOCKED = new BlockList();
BLOCKED.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, incl. 169.254.169.254 (AWS/GCP/Azure metadata)
BLOCKED.addSubnet('0.0.0.0', 8, 'ipv4'); // "this host": 0.0.0.0 connects to the local machine
BLOCKED.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
BLOCKED.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved, incl. broadcast
BLOCKED.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
BLOCKED.addAddress('168.63.129.16', 'ipv4'); // Azure platform endpoint (wireserver)
BLOCKED.addSubnet('fe80::', 10, 'ipv6'); // link-local
BLOCKED.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
BLOCKED.addAddress('::', 'ipv6'); // unspecified
BLOCKED.addSubnet('ff00::', 8, 'ipv6'); // multicast
// IPv4-mapped (::ffff:a.b.c.d) is checked against the IPv4 rules by BlockList itself; the
// deprecated IPv4-compatible form and NAT64 are not, so cover the dangerous ranges there too.
// (No ::0.0.0.0/104 for the compatible form: it would swallow ::1, the IPv6 loopback.)
BLOCKED.addSubnet('::a9fe:0', 112, 'ipv6');
BLOCKED.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6');
BLOCKED.addSubnet('64:ff9b::', 104, 'ipv6');

const BLOCKED_HOSTNAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

export type GuardedUrl = { ok: true; origin: string; basePath: string } | { ok: false; outcome: ProviderFailure };

/** Parses the admin URL and refuses it unless every address its host resolves to is safe to call. */
export async function guardAdminUrl(adminUrl: string): Promise<GuardedUrl> {
  let url: URL;
  try {
    url = new URL(adminUrl);
  } catch {
    return refuse('PROVIDER_ERROR', 'The APISIX admin URL is not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return refuse('UNSAFE', 'The APISIX admin URL must use http or https.');
  }
  if (url.username || url.password) {
    return refuse('UNSAFE', 'The APISIX admin URL must not contain a user name or password; the admin key is sent separately.');
  }
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (BLOCKED_HOSTNAMES.has(host)) {
    return refuse('UNSAFE', `The APISIX admin URL points at a cloud metadata service (${host}); EntryGuard will not call it.`);
  }

  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = (await dns.promises.lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch {
      return refuse('UNREACHABLE', `The APISIX admin host ${host} could not be resolved.`);
    }
  }
  const blocked = addresses.find(isBlockedAddress);
  if (blocked !== undefined || addresses.length === 0) {
    return refuse(
      'UNSAFE',
      `The APISIX admin URL resolves to ${blocked ?? 'no address'}, a link-local or metadata address; EntryGuard will not call it.`,
    );
  }
  // Any path prefix (a gateway behind a reverse proxy) is kept, without trailing slashes.
  return { ok: true, origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) {
    return true;
  }
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function refuse(kind: ProviderFailure['kind'], reason: string): GuardedUrl {
  return { ok: false, outcome: fail(kind, reason) };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The guard above checks the addresses once; the connection then resolves the name again. A
 * hostile DNS server could answer "public" the first time and "metadata" the second (DNS
 * rebinding). This lookup runs at connect time and refuses blocked addresses there too.
 */
function connectTimeLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dns.lookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
    if (error) {
      callback(error, []);
      return;
    }
    const usable = addresses.filter((entry) => !isBlockedAddress(entry.address));
    if (usable.length !== addresses.length || usable.length === 0) {
      callback(Object.assign(new Error(`refusing to connect to a blocked address for ${hostname}`), { code: 'EENTRYGUARDBLOCKED' }), []);
      return;
    }
    if (options.all) {
      callback(null, usable);
    } else {
      callback(null, usable[0].address, usable[0].family);
    }
  });
}

/** The HTTP agent for every Admin API call: connect-time address checks, no keep-alive reuse across hosts. */
export const guardedAgent = new Agent({ connect: { lookup: connectTimeLookup as never } });
