import { ApiKeyPrincipal } from '@app/common';

/**
 * How the API-key strategy learns who a key is, without libs/auth knowing where keys live: the
 * api-keys library binds it (a global provider under API_KEY_LOOKUP). It receives only the key's
 * SHA-256, never the key, and answers from one query per request (no cache that outlives the
 * request), so revocation, expiry and the creator's removal or deactivation count at once.
 */
export interface ApiKeyLookup {
  /**
   * The principal of a live key (not revoked, not expired, its creator active), or undefined.
   * Records when and from where the key was last used, at most once a minute per key.
   */
  authenticate(keyHash: string, clientIp: string | undefined): Promise<ApiKeyPrincipal | undefined>;
}
export const API_KEY_LOOKUP = Symbol('API_KEY_LOOKUP');
