/** The cloud providers EntryGuard knows, and the credential type each one takes. */
export const PROVIDERS = ['AWS', 'GCP', 'AZURE', 'APISIX'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const CREDENTIAL_TYPE_BY_PROVIDER = {
  AWS: 'ACCESS_KEY',
  GCP: 'SERVICE_ACCOUNT',
  AZURE: 'SERVICE_PRINCIPAL',
  APISIX: 'ADMIN_KEY',
} as const satisfies Record<ProviderName, string>;
export type CredentialType = (typeof CREDENTIAL_TYPE_BY_PROVIDER)[ProviderName];

export const RESOURCE_TYPE_BY_PROVIDER = {
  AWS: 'SECURITY_GROUP',
  GCP: 'FIREWALL_RULE',
  AZURE: 'NSG',
  APISIX: 'ROUTE',
} as const satisfies Record<ProviderName, string>;
export type ResourceType = (typeof RESOURCE_TYPE_BY_PROVIDER)[ProviderName];

export interface AwsAccessKeyData {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface GcpServiceAccountData {
  type: 'service_account';
  project_id: string;
  private_key: string;
  client_email: string;
  [field: string]: unknown;
}

export interface AzureServicePrincipalData {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
}

export interface ApisixAdminKeyData {
  adminUrl: string;
  adminKey: string;
}

/** A decrypted credential. It exists only for the duration of one provider call. */
export type CredentialSecret =
  | { provider: 'AWS'; data: AwsAccessKeyData }
  | { provider: 'GCP'; data: GcpServiceAccountData }
  | { provider: 'AZURE'; data: AzureServicePrincipalData }
  | { provider: 'APISIX'; data: ApisixAdminKeyData };

/** What a resource looks like to a provider: the firewall and the traffic it guards. */
export interface ResourceTarget {
  provider: ProviderName;
  resourceType: ResourceType;
  /** AWS: the security group id (sg-...). APISIX: the route id. */
  resourceIdentifier: string;
  /** AWS region; null where the provider has none. */
  region: string | null;
  /** AWS: { protocol: 'tcp'|'udp'|'icmp'|'all', port } or { protocol, ports: [] }. */
  config: Record<string, unknown>;
}

/** One ingress rule for one client address. */
export interface IngressRule {
  /** A single address (a.b.c.d/32, IPv6 /128) or a static rule's network (at least /8 or /32, no host bits). */
  cidr: string;
  /** Shown on the provider side, e.g. "EntryGuard session 3f2a...". */
  description: string;
}

export const PROVIDER_FAILURE_KINDS = [
  'INVALID_CREDENTIALS',
  'ACCESS_DENIED',
  'NOT_FOUND',
  'THROTTLED',
  'TIMEOUT',
  'UNREACHABLE',
  'UNSAFE',
  'UNSUPPORTED',
  /** The firewall is full (AWS RulesPerSecurityGroupLimitExceeded): permanent, the provider's reason in `reason`. */
  'LIMIT_EXCEEDED',
  'PROVIDER_ERROR',
] as const;
export type ProviderFailureKind = (typeof PROVIDER_FAILURE_KINDS)[number];

/**
 * Failures that say nothing about the keys or the resource: the provider could not be asked
 * (throttled, too slow, unreachable, or a 5xx the provider documents as retryable). Everything else is permanent.
 */
const TRANSIENT_KINDS: ReadonlySet<ProviderFailureKind> = new Set(['THROTTLED', 'TIMEOUT', 'UNREACHABLE']);

export function isTransientFailure(outcome: ProviderOutcome): boolean {
  return !outcome.ok && TRANSIENT_KINDS.has(outcome.kind);
}

/**
 * Adapters never throw SDK objects at callers: every call ends in one of these.
 * `reason` is a plain sentence for a person, free of secrets and stacks.
 */
export type ProviderOutcome = { ok: true; detail?: string } | { ok: false; kind: ProviderFailureKind; reason: string };

/** One EntryGuard rule on a firewall: an address or network as CIDR and the description it carries (AWS) or null (APISIX has none). */
export interface FirewallRule {
  cidr: string;
  description: string | null;
  /**
   * AWS with several ports only: set (true) when the address is open on some of the resource's
   * ports but not all of them. `applyRules` adds the missing ports; `removeRules` removes the rest.
   */
  partial?: true;
}
export type RuleListOutcome = { ok: true; rules: FirewallRule[] } | Extract<ProviderOutcome, { ok: false }>;

export interface CloudProviderAdapter {
  readonly provider: ProviderName;
  /** Present only where the provider can deactivate keys through its API (§19). */
  readonly keyRevocation?: KeyRevocation;
  /** The keys work at all (AWS: sts:GetCallerIdentity). */
  verifyCredential(secret: CredentialSecret): Promise<ProviderOutcome>;
  /** The resource exists and these keys may read it. */
  verifyResource(secret: CredentialSecret, target: ResourceTarget): Promise<ProviderOutcome>;
  /**
   * Adds every rule in one provider call where the provider allows it. Idempotent: rules already
   * present are success (AWS: on InvalidPermission.Duplicate read the group and add only the
   * missing ones). One attempt: a throttled or slow call comes back as THROTTLED or TIMEOUT at once.
   */
  applyRules(secret: CredentialSecret, target: ResourceTarget, rules: IngressRule[]): Promise<ProviderOutcome>;
  /**
   * Removes every rule given by address, in one call where possible. Idempotent: absent rules are
   * success, whatever form AWS answers in (error NotFound, Return=false + UnknownIpPermissionSet, silent).
   */
  removeRules(secret: CredentialSecret, target: ResourceTarget, cidrs: string[]): Promise<ProviderOutcome>;
  /**
   * The resource's current rules that match its protocol and ports (AWS) or its ip-restriction
   * whitelist (APISIX, without the deny-all placeholder): for reconcile. Rules of other
   * protocols/ports are not returned. Single addresses come back in canonical form (a.b.c.d/32,
   * compressed lower-case IPv6 /128); wider entries someone else added come back as written.
   */
  listRules(secret: CredentialSecret, target: ResourceTarget): Promise<RuleListOutcome>;
}

/** The outcome of deactivating a key at the provider: which key, never its secret. */
export type RevocationOutcome = { ok: true; revokedKeyId: string } | Extract<ProviderOutcome, { ok: false }>;

/**
 * Providers whose keys can be deactivated through their own API (§19). An adapter without it
 * cannot revoke: APISIX admin keys live in the gateway's configuration file.
 */
export interface KeyRevocation {
  /** The account the keys belong to, and which key they are (AWS: sts:GetCallerIdentity). */
  identify(secret: CredentialSecret): Promise<{ ok: true; account: string; keyId: string } | Extract<ProviderOutcome, { ok: false }>>;
  /** The account a key id belongs to, asked with other keys (AWS: sts:GetAccessKeyInfo); works for a dead key too. */
  accountOfKey(
    caller: CredentialSecret,
    revoked: CredentialSecret,
  ): Promise<{ ok: true; account: string } | Extract<ProviderOutcome, { ok: false }>>;
  /** Deactivates `revoked`'s key, calling with `caller`'s keys (the same keys for a delete, the new ones for a rotation). */
  deactivate(caller: CredentialSecret, revoked: CredentialSecret): Promise<RevocationOutcome>;
}
