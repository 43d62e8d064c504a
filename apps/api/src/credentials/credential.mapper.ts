import { toIsoUtc } from '@app/common';
import { CredentialRow } from './credentials.repository';
import { CredentialDto } from './dto/credential.dto';

/** The public shape: never the data, never the ciphertext. */
export function toCredentialDto(row: CredentialRow): CredentialDto {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    credentialType: row.credential_type,
    isValid: row.is_valid,
    lastVerifiedAt: toIsoUtc(row.last_verified_at),
    verificationError: row.verification_error,
    resourceCount: row.resource_count,
    createdAt: toIsoUtc(row.created_at) as string,
    updatedAt: toIsoUtc(row.updated_at) as string,
  };
}
