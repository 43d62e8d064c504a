import { isIP } from 'node:net';
import dns, { type LookupAddress } from 'node:dns';
import { Agent } from 'undici';
import { fail, type ProviderFailure } from '../shared/provider-outcome.util';
import type { OutboundAddressPolicy } from '../shared/outbound-address.policy';

/** Resolves a host name to every address it has; tests hand in a stub that answers with loopback. */
export type HostResolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: HostResolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

const METADATA_HOSTNAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

export type GuardedUrl = { ok: true; origin: string; basePath: string } | { ok: false; outcome: ProviderFailure };

const BLOCKED_CODE = 'EENTRYGUARDBLOCKED';

/**
 * The admin URL is typed in by a customer, and the server calls it with their key: it may lead
 * only where the outbound policy allows (§18), checked once before the call and again when the
 * connection is made. Refusals name the kind of address, never the address a name resolved to
 * (that would make the guard a way to map our network).
 */
export class AdminUrlGuard {
  /** The HTTP agent for every Admin API call: it re-resolves at connect time and refuses there too. */
  readonly agent: Agent;

  constructor(
    private readonly policy: OutboundAddressPolicy,
    private readonly resolve: HostResolver = systemResolver,
  ) {
    this.agent = new Agent({ connect: { lookup: this.connectTimeLookup.bind(this) as never } });
  }

  async check(adminUrl: string): Promise<GuardedUrl> {
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
    if (METADATA_HOSTNAMES.has(host)) {
      return refuse('UNSAFE', `The APISIX admin URL points at a cloud metadata service (${host}); EntryGuard will not call it.`);
    }
    let addresses: string[];
    if (isIP(host)) {
      addresses = [host];
    } else {
      try {
        addresses = (await this.resolve(host)).map((entry) => entry.address);
      } catch {
        return refuse('UNREACHABLE', `The APISIX admin host ${host} could not be resolved.`);
      }
    }
    if (addresses.length === 0) {
      return refuse('UNREACHABLE', `The APISIX admin host ${host} could not be resolved.`);
    }
    for (const address of addresses) {
      const verdict = this.policy.check(address);
      if (!verdict.allowed) {
        return refuse('UNSAFE', unsafeReason(verdict.reason));
      }
    }
    // Any path prefix (a gateway behind a reverse proxy) is kept, without trailing slashes.
    return { ok: true, origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
  }

  /** Whether a failed call was this guard refusing at connect time (DNS rebinding). */
  static isConnectRefusal(error: unknown): boolean {
    return (error as { cause?: { code?: string } } | undefined)?.cause?.code === BLOCKED_CODE;
  }

  private connectTimeLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
    const host = hostname.replace(/^\[|\]$/g, '');
    const answer = isIP(host) ? Promise.resolve([{ address: host, family: isIP(host) }]) : this.resolve(host);
    answer.then(
      (addresses) => {
        const refused = addresses.length === 0 || addresses.some((entry) => !this.policy.check(entry.address).allowed);
        if (refused) {
          callback(Object.assign(new Error(`refusing to connect to ${hostname}: outbound policy`), { code: BLOCKED_CODE }), []);
        } else if (options.all) {
          callback(null, addresses);
        } else {
          callback(null, addresses[0].address, addresses[0].family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function unsafeReason(kind: string): string {
  return `The APISIX admin URL leads to a ${kind} address, which EntryGuard does not call unless the operator allows that network (PROVIDER_ALLOWED_NETWORKS).`;
}

function refuse(kind: ProviderFailure['kind'], reason: string): GuardedUrl {
  return { ok: false, outcome: fail(kind, reason) };
}
