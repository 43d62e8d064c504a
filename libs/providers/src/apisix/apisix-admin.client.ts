import { fetch, type Response } from 'undici';
import type { ResolvedProvidersOptions } from '../providers.options';
import type { ApisixAdminKeyData } from '../provider.types';
import { OutboundAddressPolicy } from '../shared/outbound-address.policy';
import { fail, quoteProviderMessage, type ProviderFailure } from '../shared/provider-outcome.util';
import { AdminUrlGuard } from './apisix-url.guard';

/** Shipped in APISIX's sample config; anyone on the internet can use it, so a gateway with it is open. */
export const APISIX_DEFAULT_ADMIN_KEY = 'edd1c9f034335f136f87ad84b625c8f1';

export const ROUTES_PATH = '/apisix/admin/routes';
const ROUTE_ID = /^(?!\.+$)[A-Za-z0-9_.-]{1,64}$/;

/** A vetted admin URL and the key to call it with, for the duration of one adapter call. */
export interface Session {
  origin: string;
  basePath: string;
  adminKey: string;
}
export type Reply = { ok: true; status: number; body: unknown } | { ok: false; outcome: ProviderFailure };
export type Route = { plugins?: Record<string, unknown> } & Record<string, unknown>;

/**
 * The APISIX Admin API as the adapter sees it: the credential and its URL checked (§18), one
 * HTTP call at a time with a timeout, answers mapped to outcomes. No redirects, no retries.
 */
export class ApisixAdminClient {
  private readonly urlGuard: AdminUrlGuard;

  constructor(private readonly options: ResolvedProvidersOptions) {
    this.urlGuard = new AdminUrlGuard(new OutboundAddressPolicy(options.allowedNetworks), options.resolveHost);
  }

  /** The checks shared by every call: a complete key, not the default one, and a URL the policy allows. */
  async open(data: Partial<ApisixAdminKeyData>): Promise<{ ok: true; session: Session } | { ok: false; outcome: ProviderFailure }> {
    if (typeof data.adminUrl !== 'string' || typeof data.adminKey !== 'string' || !data.adminKey) {
      return refuse('INVALID_CREDENTIALS', 'The credential is not a complete APISIX admin key (adminUrl and adminKey).');
    }
    if (data.adminKey === APISIX_DEFAULT_ADMIN_KEY) {
      return refuse(
        'UNSAFE',
        "This gateway uses APISIX's well-known default admin key; change it in APISIX's config (deployment.admin.admin_key) and save the new key here.",
      );
    }
    const guarded = await this.urlGuard.check(data.adminUrl);
    if (!guarded.ok) {
      return guarded;
    }
    return { ok: true, session: { origin: guarded.origin, basePath: guarded.basePath, adminKey: data.adminKey } };
  }

  async readRoute(session: Session, routeId: string): Promise<{ ok: true; value: Route } | { ok: false; outcome: ProviderFailure }> {
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
  async send(session: Session, method: string, path: string, body?: unknown): Promise<Reply> {
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
    if (status === 502 || status === 503 || status === 504) {
      // The gateway (or a proxy before it) could not handle the call now: transient.
      return refuse('UNREACHABLE', `The APISIX Admin API is unavailable (HTTP ${status}); try again later.`);
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
}

export function routePath(routeId: string): string {
  return `${ROUTES_PATH}/${encodeURIComponent(routeId)}`;
}

function refuse(kind: ProviderFailure['kind'], reason: string): { ok: false; outcome: ProviderFailure } {
  return { ok: false, outcome: fail(kind, reason) };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
