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
}

/** Reserved for API keys (X-API-Key), which act with scopes instead of a role. */
export interface ApiKeyPrincipal {
  kind: 'apiKey';
  apiKeyId: string;
  organizationId: string;
  scopes: string[];
}

export type Principal = UserPrincipal | ApiKeyPrincipal;

/** A request after the authentication guard: the principal it verified, if any. */
export type RequestWithPrincipal = FastifyRequest & { principal?: Principal };
