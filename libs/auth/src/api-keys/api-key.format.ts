import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** `egk_live_` and 43 base62 characters: 256 random bits (§15). */
export const API_KEY_PREFIX = 'egk_live_';
export const API_KEY_PATTERN = /^egk_live_[0-9A-Za-z]{43}$/;

/** RFC 7235: the scheme name is case-insensitive (§7: `ApiKey`, `apikey`, `APIKEY`). */
const AUTHORIZATION_API_KEY = /^apikey +(\S+)$/i;

/**
 * The API key a request presents, in `X-API-Key` or as `Authorization: ApiKey <key>`, when it has
 * the shape of one; null otherwise. Two different keys at once are no key at all.
 */
export function presentedApiKey(request: Pick<FastifyRequest, 'headers'>): string | null {
  const header = request.headers['x-api-key'];
  const fromHeader = typeof header === 'string' ? header.trim() : undefined;
  const authorization = request.headers.authorization;
  const fromAuthorization = typeof authorization === 'string' ? AUTHORIZATION_API_KEY.exec(authorization)?.[1] : undefined;
  if (fromHeader !== undefined && fromAuthorization !== undefined && fromHeader !== fromAuthorization) {
    return null;
  }
  const key = fromHeader ?? fromAuthorization;
  return key !== undefined && API_KEY_PATTERN.test(key) ? key : null;
}

/** Only this digest of a key is stored, compared and handed on: the key itself stays in the request. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
