import { toIsoUtc } from '@app/common';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { ApiKeyRow } from './api-keys.repository';

export function toApiKeyDto(row: ApiKeyRow): ApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    keyPrefix: row.key_prefix,
    scopes: row.scopes,
    isRevoked: row.revoked_at !== null,
    revokedAt: toIsoUtc(row.revoked_at),
    expiresAt: toIsoUtc(row.expires_at),
    lastUsedAt: toIsoUtc(row.last_used_at),
    lastUsedIp: row.last_used_ip,
    createdByEmail: row.created_by_email,
    createdAt: toIsoUtc(row.created_at) as string,
  };
}

/** The create answer: the one place the key itself appears. */
export function toCreatedApiKeyDto(row: ApiKeyRow, plainTextKey: string): CreatedApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    keyPrefix: row.key_prefix,
    plainTextKey,
    scopes: row.scopes,
    expiresAt: toIsoUtc(row.expires_at),
    createdAt: toIsoUtc(row.created_at) as string,
  };
}
