import type { FastifyRequest } from 'fastify';

export const ROLES = ['ORG_ADMIN', 'USER'] as const;
export type Role = (typeof ROLES)[number];

/** A signed-in person, from a verified access token. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  organizationId: string;
  role: Role;
  email: string;
  /**
   * The organization requires MFA and this user has not turned it on (§11): the token reaches only
   * MFA setup, /auth/me and logout. Read with the user on every request, so it lifts at once.
   */
  mfaSetupRequired?: boolean;
}

/** What an API key may be allowed to do (§15); `sessions:write` does not include `sessions:read`. */
export const API_KEY_SCOPES = ['sessions:read', 'sessions:write', 'resources:read', 'audit:read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * An API key (X-API-Key or `Authorization: ApiKey`): it acts as the user who created it (their
 * current role, read on every request), narrowed to its scopes. A route that names no scope
 * refuses it, whatever the creator's role.
 */
export interface ApiKeyPrincipal {
  kind: 'apiKey';
  apiKeyId: string;
  /** The key's public first 15 characters, which audit rows and logs may show. */
  keyPrefix: string;
  scopes: ApiKeyScope[];
  /** The creator. */
  userId: string;
  organizationId: string;
  role: Role;
  email: string;
  /** The creator must set up MFA first (§11): the key is refused everywhere until they do. */
  mfaSetupRequired?: boolean;
}

export type Principal = UserPrincipal | ApiKeyPrincipal;

/** A request after the authentication guard: the principal it verified, if any. */
export type RequestWithPrincipal = FastifyRequest & { principal?: Principal };
