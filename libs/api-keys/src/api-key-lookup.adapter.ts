import { Injectable } from '@nestjs/common';
import { ApiKeyPrincipal } from '@app/common';
import { ApiKeyLookup } from '@app/auth';
import { ApiKeysRepository } from './api-keys.repository';

/** §15: `lastUsedAt` and `lastUsedIp` are written at most once a minute per key. */
export const LAST_USED_INTERVAL_SECONDS = 60;

/**
 * The API-key strategy's port (bound as API_KEY_LOOKUP): one read per request, and a write only
 * when the row it read says the last recorded use is a minute old or more. The write is then a
 * conditional UPDATE, so that of several requests deciding at once, one writes.
 */
@Injectable()
export class ApiKeyLookupAdapter implements ApiKeyLookup {
  constructor(private readonly repository: ApiKeysRepository) {}

  async authenticate(keyHash: string, clientIp: string | undefined): Promise<ApiKeyPrincipal | undefined> {
    const row = await this.repository.findLive(keyHash);
    if (!row) {
      return undefined;
    }
    const lastUsed = row.last_used_at?.getTime();
    if (lastUsed === undefined || Date.now() - lastUsed >= LAST_USED_INTERVAL_SECONDS * 1000) {
      await this.repository.recordUse(row.id, clientIp ?? null, LAST_USED_INTERVAL_SECONDS);
    }
    return {
      kind: 'apiKey',
      apiKeyId: row.id,
      keyPrefix: row.key_prefix,
      scopes: row.scopes,
      userId: row.user_id,
      organizationId: row.organization_id,
      role: row.role,
      email: row.email,
      mfaSetupRequired: row.mfa_setup_required,
    };
  }
}
