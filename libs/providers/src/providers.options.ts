import type { HostResolver } from './apisix/apisix-url.guard';

/** How the provider adapters talk to the outside world. Every field has a safe default. */
export interface ProvidersOptions {
  /** Send AWS calls (STS and EC2) here instead of the real AWS endpoints, e.g. a local fake. */
  awsEndpointUrl?: string;
  /** Send IAM calls here (AWS_ENDPOINT_URL_IAM); defaults to awsEndpointUrl. */
  awsIamEndpointUrl?: string;
  /** Upper bound for one HTTP call to a provider (a call that takes longer is TIMEOUT). Default 8000 ms. */
  timeoutMs?: number;
  /**
   * Extra attempts after AWS throttles a verification or key-revocation call (so 2 means 3
   * attempts in all). Default 2. Rule changes (applyRules, removeRules, listRules) make one
   * attempt: the engine owns their retries.
   */
  throttleRetries?: number;
  /** First back-off delay after throttling; it doubles on each further attempt. Default 200 ms. */
  retryBaseDelayMs?: number;
  /** Networks a tenant-named endpoint may lead to although they are not public (§18). Default none. */
  allowedNetworks?: string[];
  /** How host names are resolved, before the call and at connect time. Default: the system resolver. */
  resolveHost?: HostResolver;
}

export const PROVIDERS_OPTIONS = Symbol('PROVIDERS_OPTIONS');

type OptionalSettings = 'awsEndpointUrl' | 'awsIamEndpointUrl' | 'resolveHost';
export type ResolvedProvidersOptions = Required<Omit<ProvidersOptions, OptionalSettings>> & Pick<ProvidersOptions, OptionalSettings>;

export function resolveProvidersOptions(options: ProvidersOptions = {}): ResolvedProvidersOptions {
  return {
    awsEndpointUrl: options.awsEndpointUrl || undefined,
    awsIamEndpointUrl: options.awsIamEndpointUrl || undefined,
    timeoutMs: positiveOr(options.timeoutMs, 8000),
    throttleRetries: Math.max(0, Math.floor(options.throttleRetries ?? 2)),
    retryBaseDelayMs: Math.max(0, options.retryBaseDelayMs ?? 200),
    allowedNetworks: options.allowedNetworks ?? [],
    resolveHost: options.resolveHost,
  };
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
