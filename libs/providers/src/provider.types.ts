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
  /** A single address as CIDR: a.b.c.d/32 or an IPv6 /128. */
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
  'PROVIDER_ERROR',
] as const;
export type ProviderFailureKind = (typeof PROVIDER_FAILURE_KINDS)[number];

/** Failures that say nothing about the keys or the resource: the provider could not be asked. */
const TRANSIENT_KINDS: ReadonlySet<ProviderFailureKind> = new Set(['THROTTLED', 'TIMEOUT', 'UNREACHABLE']);

export function isTransientFailure(outcome: ProviderOutcome): boolean {
  return !outcome.ok && TRANSIENT_KINDS.has(outcome.kind);
}

/**
 * Adapters never throw SDK objects at callers: every call ends in one of these.
 * `reason` is a plain sentence for a person, free of secrets and stacks.
 */
export type ProviderOutcome = { ok: true; detail?: string } | { ok: false; kind: ProviderFailureKind; reason: string };

export interface CloudProviderAdapter {
  readonly provider: ProviderName;
  /** Present only where the provider can deactivate keys through its API (§19). */
  readonly keyRevocation?: KeyRevocation;
  /** The keys work at all (AWS: sts:GetCallerIdentity). */
  verifyCredential(secret: CredentialSecret): Promise<ProviderOutcome>;
  /** The resource exists and these keys may read it. */
  verifyResource(secret: CredentialSecret, target: ResourceTarget): Promise<ProviderOutcome>;
  /** Idempotent: a rule already present is success. */
  authorizeIngress(secret: CredentialSecret, target: ResourceTarget, rule: IngressRule): Promise<ProviderOutcome>;
  /** Idempotent: a rule already absent is success. */
  revokeIngress(secret: CredentialSecret, target: ResourceTarget, rule: IngressRule): Promise<ProviderOutcome>;
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
