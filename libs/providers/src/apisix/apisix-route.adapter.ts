import type { ResolvedProvidersOptions } from '../providers.options';
import type {
  ApisixAdminKeyData,
  CloudProviderAdapter,
  CredentialSecret,
  IngressRule,
  ProviderOutcome,
  ResourceTarget,
} from '../provider.types';
import { parseSingleAddressCidr, sameIngressEntry, type SingleAddressCidr } from '../shared/ingress-cidr.util';
import { KeyedMutex } from '../shared/keyed-mutex';
import { fail, quoteProviderMessage, succeed, withoutSecrets, type ProviderFailure } from '../shared/provider-outcome.util';
import { fetch, type Response } from 'undici';
import { AdminUrlGuard } from './apisix-url.guard';
import { OutboundAddressPolicy } from '../shared/outbound-address.policy';

/** Shipped in APISIX's sample config; anyone on the internet can use it, so a gateway with it is open. */
export const APISIX_DEFAULT_ADMIN_KEY = 'edd1c9f034335f136f87ad84b625c8f1';

/**
 * APISIX rejects an empty ip-restriction whitelist (minItems 1), and deleting the plugin would
 * open the route to everyone, so removing the last address leaves this instead. 255.255.255.255
 * can never be the source of a TCP connection, so it admits nobody; 127.0.0.1 would not be safe,
 * because behind a local reverse proxy every client appears to come from loopback.
 */
export const APISIX_DENY_ALL_PLACEHOLDER = '255.255.255.255/32';

const ROUTES_PATH = '/apisix/admin/routes';
const ROUTE_ID = /^(?!\.+$)[A-Za-z0-9_.-]{1,64}$/;

interface Session {
  origin: string;
  basePath: string;
  adminKey: string;
}
type Reply = { ok: true; status: number; body: unknown } | { ok: false; outcome: ProviderFailure };
type Route = { plugins?: Record<string, unknown> } & Record<string, unknown>;

export class ApisixRouteAdapter implements CloudProviderAdapter {
  readonly provider = 'APISIX' as const;
  private readonly locks = new KeyedMutex();
  private readonly urlGuard: AdminUrlGuard;

  constructor(private readonly options: ResolvedProvidersOptions) {
    this.urlGuard = new AdminUrlGuard(new OutboundAddressPolicy(options.allowedNetworks), options.resolveHost);
  }

  verifyCredential(secret: CredentialSecret): Promise<ProviderOutcome> {
    return this.guard(secret, async (session) => {
      const reply = await this.send(session, 'GET', ROUTES_PATH);
      if (!reply.ok) {
        return reply.outcome;
      }
      const body = reply.body as { list?: unknown; total?: unknown } | null;
      if (reply.status !== 200 || !body || (!Array.isArray(body.list) && typeof body.total !== 'number')) {
        return fail('PROVIDER_ERROR', 'The admin URL answered, but not like the APISIX Admin API (v3).');
      }
      return succeed('APISIX accepted the admin key.');
    });
  }

  verifyResource(secret: CredentialSecret, target: ResourceTarget): Promise<ProviderOutcome> {
    return this.guard(secret, async (session) => {
      const route = await this.readRoute(session, target.resourceIdentifier);
      return route.ok ? succeed(`Route ${target.resourceIdentifier} exists.`) : route.outcome;
    });
  }

  authorizeIngress(secret: CredentialSecret, target: ResourceTarget, rule: IngressRule): Promise<ProviderOutcome> {
    return this.editWhitelist(secret, target, rule, (list, cidr) => {
      if (list?.some((entry) => sameIngressEntry(entry, cidr))) {
        return null;
      }
      return [...(list ?? []).filter((entry) => entry !== APISIX_DENY_ALL_PLACEHOLDER), cidr.cidr];
    });
  }

  revokeIngress(secret: CredentialSecret, target: ResourceTarget, rule: IngressRule): Promise<ProviderOutcome> {
    return this.editWhitelist(secret, target, rule, (list, cidr) => {
      // No whitelist means this address was never added by us; there is nothing to take away.
      if (!list) {
        return null;
      }
      const remaining = list.filter((entry) => !sameIngressEntry(entry, cidr));
      if (remaining.length === list.length) {
        return null;
      }
      return remaining.length > 0 ? remaining : [APISIX_DENY_ALL_PLACEHOLDER];
    });
  }

  /**
   * Read the route, compute the new whitelist, write it back. `edit` returns null when the route
   * already says what we want, which keeps both directions idempotent without a write.
   * The lock covers concurrent sessions in this process; APISIX has no compare-and-set, so a
   * writer in another process could still interleave.
   */
  private editWhitelist(
    secret: CredentialSecret,
    target: ResourceTarget,
    rule: IngressRule,
    edit: (list: string[] | null, cidr: SingleAddressCidr) => string[] | null,
  ): Promise<ProviderOutcome> {
    return this.guard(secret, async (session) => {
      const cidr = parseSingleAddressCidr(rule.cidr);
      if (!cidr) {
        return fail('UNSAFE', `Only a single address (/32 or /128) can be opened, and "${rule.cidr}" is not one.`);
      }
      const routeId = target.resourceIdentifier;
      return this.locks.run(`${session.origin}${session.basePath}|${routeId}`, async () => {
        const route = await this.readRoute(session, routeId);
        if (!route.ok) {
          return route.outcome;
        }
        const plugin = route.value.plugins?.['ip-restriction'] as { whitelist?: unknown; blacklist?: unknown } | undefined;
        if (plugin && plugin.blacklist !== undefined && plugin.whitelist === undefined) {
          return fail('PROVIDER_ERROR', `Route ${routeId} uses an ip-restriction blacklist; EntryGuard manages whitelists only.`);
        }
        const list = Array.isArray(plugin?.whitelist) ? plugin.whitelist.filter((e): e is string => typeof e === 'string') : null;
        const whitelist = edit(list, cidr);
        if (whitelist === null) {
          return succeed(`Route ${routeId} already has the wanted whitelist.`);
        }
        const reply = await this.send(session, 'PATCH', routePath(routeId), { plugins: { 'ip-restriction': { whitelist } } });
        if (!reply.ok) {
          return reply.outcome;
        }
        if (reply.status === 404) {
          return fail('NOT_FOUND', `Route ${routeId} disappeared while it was being updated.`);
        }
        return succeed(`Route ${routeId} whitelist updated.`);
      });
    });
  }

  private async readRoute(
    session: Session,
    routeId: string,
  ): Promise<{ ok: true; value: Route } | { ok: false; outcome: ProviderFailure }> {
    if (typeof routeId !== 'string' || !ROUTE_ID.test(routeId)) {
      return { ok: false, outcome: fail('NOT_FOUND', `"${String(routeId).slice(0, 64)}" is not a valid APISIX route id.`) };
    }
    const reply = await this.send(session, 'GET', routePath(routeId));
    if (!reply.ok) {
      return reply;
    }
    if (reply.status === 404) {
      return { ok: false, outcome: fail('NOT_FOUND', `Route ${routeId} was not found on the APISIX gateway.`) };
    }
    // v3 answers { key, value }; v2 wrapped it as { node: { key, value } }.
    const body = reply.body as { value?: unknown; node?: { value?: unknown } } | null;
    const value = body?.value ?? body?.node?.value;
    if (!value || typeof value !== 'object') {
      return { ok: false, outcome: fail('PROVIDER_ERROR', `APISIX answered for route ${routeId}, but without the route.`) };
    }
    return { ok: true, value: value as Route };
  }

  /** One Admin API call. 2xx and 404 come back to the caller; everything else ends here. */
  private async send(session: Session, method: string, path: string, body?: unknown): Promise<Reply> {
    const url = new URL(`${session.origin}${session.basePath}${path}`);
    // The guard vetted this origin only; a path must never be able to move the call elsewhere.
    if (url.origin !== session.origin) {
      return refuse('UNSAFE', 'The APISIX admin URL could not be combined safely with the API path.');
    }
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          'X-API-KEY': session.adminKey,
          Accept: 'application/json',
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        // A redirect could carry the admin key to a host the URL guard never checked.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
        dispatcher: this.urlGuard.agent,
      });
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        return refuse(
          'PROVIDER_ERROR',
          `The APISIX admin URL answered with a redirect (HTTP ${response.status}); EntryGuard follows no redirects, so give the final admin URL.`,
        );
      }
      text = await response.text();
    } catch (error) {
      return { ok: false, outcome: this.transportFailure(error) };
    }

    const status = response.status;
    const parsed = parseJson(text);
    if (status === 401 || status === 403) {
      return refuse('INVALID_CREDENTIALS', `APISIX refused the admin key (HTTP ${status}).`);
    }
    if (status === 429) {
      return refuse('THROTTLED', 'APISIX is rate limiting the Admin API; try again shortly.');
    }
    if (status >= 500) {
      return refuse('PROVIDER_ERROR', `APISIX had an internal error (HTTP ${status}); try again later.`);
    }
    if (status >= 400 && status !== 404) {
      // Only an APISIX-shaped answer is quoted, and only its short, URL-free message (§18).
      const message = quoteProviderMessage((parsed as { error_msg?: unknown } | null)?.error_msg);
      return refuse('PROVIDER_ERROR', `APISIX rejected the request (HTTP ${status})${message ? `: ${message}` : '.'}`);
    }
    return { ok: true, status, body: parsed };
  }

  private transportFailure(error: unknown): ProviderFailure {
    const err = error as { name?: string; cause?: { code?: string; name?: string } } | undefined;
    if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || err?.cause?.name === 'ConnectTimeoutError') {
      return fail('TIMEOUT', `APISIX did not answer within ${this.options.timeoutMs} ms.`);
    }
    if (AdminUrlGuard.isConnectRefusal(error)) {
      return fail('UNSAFE', 'The APISIX admin host now resolves to an address EntryGuard does not call (outbound policy).');
    }
    const what = err?.cause?.code === 'ECONNREFUSED' ? 'the connection was refused' : 'the network failed';
    return fail('UNREACHABLE', `Could not reach the APISIX Admin API: ${what}.`);
  }

  /** Checks shared by every call, then the work, with any secret scrubbed from the outcome. */
  private async guard(secret: CredentialSecret, work: (session: Session) => Promise<ProviderOutcome>): Promise<ProviderOutcome> {
    const data = (secret?.provider === 'APISIX' ? secret.data : {}) as Partial<ApisixAdminKeyData>;
    let outcome: ProviderOutcome;
    try {
      outcome = await this.run(data, work);
    } catch {
      outcome = fail('PROVIDER_ERROR', 'The APISIX call failed unexpectedly.');
    }
    return withoutSecrets(outcome, [data.adminKey]);
  }

  private async run(data: Partial<ApisixAdminKeyData>, work: (session: Session) => Promise<ProviderOutcome>): Promise<ProviderOutcome> {
    if (typeof data.adminUrl !== 'string' || typeof data.adminKey !== 'string' || !data.adminKey) {
      return fail('INVALID_CREDENTIALS', 'The credential is not a complete APISIX admin key (adminUrl and adminKey).');
    }
    if (data.adminKey === APISIX_DEFAULT_ADMIN_KEY) {
      return fail(
        'UNSAFE',
        "This gateway uses APISIX's well-known default admin key; change it in APISIX's config (deployment.admin.admin_key) and save the new key here.",
      );
    }
    const guarded = await this.urlGuard.check(data.adminUrl);
    if (!guarded.ok) {
      return guarded.outcome;
    }
    return work({ origin: guarded.origin, basePath: guarded.basePath, adminKey: data.adminKey });
  }
}

function routePath(routeId: string): string {
  return `${ROUTES_PATH}/${encodeURIComponent(routeId)}`;
}

function refuse(kind: ProviderFailure['kind'], reason: string): Reply {
  return { ok: false, outcome: fail(kind, reason) };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
