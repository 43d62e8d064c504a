import type { ResolvedProvidersOptions } from '../providers.options';
import type {
  ApisixAdminKeyData,
  CloudProviderAdapter,
  CredentialSecret,
  IngressRule,
  ProviderOutcome,
  ResourceTarget,
  RuleListOutcome,
} from '../provider.types';
import { parseIngressCidr, sameIngressEntry, type IngressCidr } from '../shared/ingress-cidr.util';
import { KeyedMutex } from '../shared/keyed-mutex';
import { fail, succeed, withoutSecrets, type ProviderFailure } from '../shared/provider-outcome.util';
import { ApisixAdminClient, ROUTES_PATH, routePath, type Session } from './apisix-admin.client';

export { APISIX_DEFAULT_ADMIN_KEY } from './apisix-admin.client';

/**
 * APISIX rejects an empty ip-restriction whitelist (minItems 1), and deleting the plugin would
 * open the route to everyone, so removing the last address leaves this instead. 255.255.255.255
 * can never be the source of a TCP connection, so it admits nobody; 127.0.0.1 would not be safe,
 * because behind a local reverse proxy every client appears to come from loopback.
 */
export const APISIX_DENY_ALL_PLACEHOLDER = '255.255.255.255/32';

/**
 * APISIX routes: the ip-restriction whitelist is the firewall. Each edit reads the route and
 * writes the whole new whitelist in one PATCH; nothing else on the route is touched.
 */
export class ApisixRouteAdapter implements CloudProviderAdapter {
  readonly provider = 'APISIX' as const;
  private readonly locks = new KeyedMutex();
  private readonly client: ApisixAdminClient;

  constructor(options: ResolvedProvidersOptions) {
    this.client = new ApisixAdminClient(options);
  }

  verifyCredential(secret: CredentialSecret): Promise<ProviderOutcome> {
    return this.guard(secret, async (session) => {
      const reply = await this.client.send(session, 'GET', ROUTES_PATH);
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
      const route = await this.client.readRoute(session, target.resourceIdentifier);
      return route.ok ? succeed(`Route ${target.resourceIdentifier} exists.`) : route.outcome;
    });
  }

  applyRules(secret: CredentialSecret, target: ResourceTarget, rules: IngressRule[]): Promise<ProviderOutcome> {
    return this.editWhitelist(
      secret,
      target,
      (rules ?? []).map((rule) => rule?.cidr),
      'opened',
      (list, cidrs) => {
        const missing = cidrs.filter((cidr) => !list?.some((entry) => sameIngressEntry(entry, cidr)));
        if (missing.length === 0) {
          return null;
        }
        return [...(list ?? []).filter((entry) => !isPlaceholder(entry)), ...missing.map((cidr) => cidr.cidr)];
      },
    );
  }

  removeRules(secret: CredentialSecret, target: ResourceTarget, cidrs: string[]): Promise<ProviderOutcome> {
    return this.editWhitelist(secret, target, cidrs ?? [], 'removed', (list, gone) => {
      // No whitelist means these addresses were never added by us; there is nothing to take away.
      if (!list) {
        return null;
      }
      const remaining = list.filter((entry) => !gone.some((cidr) => sameIngressEntry(entry, cidr)));
      if (remaining.length === list.length) {
        return null;
      }
      return remaining.length > 0 ? remaining : [APISIX_DENY_ALL_PLACEHOLDER];
    });
  }

  /** The route's whitelist without the deny-all placeholder; single addresses in canonical form. */
  listRules(secret: CredentialSecret, target: ResourceTarget): Promise<RuleListOutcome> {
    return this.guard(secret, async (session): Promise<RuleListOutcome> => {
      const current = await this.readWhitelist(session, target.resourceIdentifier);
      if (!current.ok) {
        return current.outcome;
      }
      const cidrs = new Set((current.list ?? []).filter((entry) => !isPlaceholder(entry)).map((e) => parseIngressCidr(e)?.cidr ?? e));
      return { ok: true, rules: [...cidrs].map((cidr) => ({ cidr, description: null })) };
    });
  }

  /**
   * Read the route, compute the new whitelist, write it back in one PATCH. `edit` returns null
   * when the route already says what we want, which keeps both directions idempotent without a
   * write. The lock covers concurrent calls in this process; APISIX has no compare-and-set, so
   * across processes the engine serializes edits of one route (a PostgreSQL advisory lock).
   */
  private editWhitelist(
    secret: CredentialSecret,
    target: ResourceTarget,
    raw: string[],
    verb: 'opened' | 'removed',
    edit: (list: string[] | null, cidrs: IngressCidr[]) => string[] | null,
  ): Promise<ProviderOutcome> {
    return this.guard(secret, async (session) => {
      const cidrs: IngressCidr[] = [];
      for (const entry of raw) {
        const cidr = parseIngressCidr(entry);
        if (!cidr) {
          return fail(
            'UNSAFE',
            `Only a single address, or a network of at least /8 (IPv4) or /32 (IPv6) with no host bits, can be ${verb}, and "${String(entry).slice(0, 64)}" is neither.`,
          );
        }
        cidrs.push(cidr);
      }
      if (cidrs.length === 0) {
        return succeed(verb === 'opened' ? 'No rules to add.' : 'No rules to remove.');
      }
      const routeId = target.resourceIdentifier;
      return this.locks.run(`${session.origin}${session.basePath}|${routeId}`, async () => {
        const current = await this.readWhitelist(session, routeId);
        if (!current.ok) {
          return current.outcome;
        }
        const whitelist = edit(current.list, cidrs);
        if (whitelist === null) {
          return succeed(`Route ${routeId} already has the wanted whitelist.`);
        }
        const reply = await this.client.send(session, 'PATCH', routePath(routeId), { plugins: { 'ip-restriction': { whitelist } } });
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

  /** The route's ip-restriction whitelist (null when it has none); a blacklist route is refused. */
  private async readWhitelist(
    session: Session,
    routeId: string,
  ): Promise<{ ok: true; list: string[] | null } | { ok: false; outcome: ProviderFailure }> {
    const route = await this.client.readRoute(session, routeId);
    if (!route.ok) {
      return route;
    }
    const plugin = route.value.plugins?.['ip-restriction'] as { whitelist?: unknown; blacklist?: unknown } | undefined;
    if (plugin && plugin.blacklist !== undefined && plugin.whitelist === undefined) {
      return {
        ok: false,
        outcome: fail('PROVIDER_ERROR', `Route ${routeId} uses an ip-restriction blacklist; EntryGuard manages whitelists only.`),
      };
    }
    const list = Array.isArray(plugin?.whitelist) ? plugin.whitelist.filter((e): e is string => typeof e === 'string') : null;
    return { ok: true, list };
  }

  /** Checks shared by every call, then the work, with any secret scrubbed from the outcome. */
  private async guard<T extends ProviderOutcome | RuleListOutcome>(
    secret: CredentialSecret,
    work: (session: Session) => Promise<T>,
  ): Promise<T> {
    const data = (secret?.provider === 'APISIX' ? secret.data : {}) as Partial<ApisixAdminKeyData>;
    let outcome: T;
    try {
      const opened = await this.client.open(data);
      outcome = opened.ok ? await work(opened.session) : (opened.outcome as T);
    } catch {
      outcome = fail('PROVIDER_ERROR', 'The APISIX call failed unexpectedly.') as T;
    }
    return withoutSecrets(outcome, [data.adminKey]);
  }
}

function isPlaceholder(entry: string): boolean {
  return parseIngressCidr(entry)?.cidr === APISIX_DENY_ALL_PLACEHOLDER;
}
