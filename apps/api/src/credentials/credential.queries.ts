/**
 * How credentials are read: the row shapes, the columns each read takes, and the hot reads
 * compiled once per DataSource. CredentialsRepository runs them.
 */
import { EntityManager, SelectQueryBuilder } from 'typeorm';
import { CompiledRead, selectColumns } from '@app/database';
import { ProviderName } from '@app/providers';
import { Resource } from '@app/resources';
import { EncryptedSecret } from './credential-cipher';
import { Credential } from './credential.entity';

/** The public columns, raw (database names), plus how many resources use the credential. */
export interface CredentialRow {
  id: string;
  organization_id: string;
  name: string;
  provider: ProviderName;
  credential_type: string;
  is_valid: boolean | null;
  last_verified_at: Date | null;
  verification_error: string | null;
  created_at: Date;
  updated_at: Date;
  resource_count: number;
}

export interface SealedCredential {
  id: string;
  organizationId: string;
  name: string;
  provider: ProviderName;
  secret: EncryptedSecret;
  /** What a verification of these keys must still find when it saves its verdict. */
  revision: number;
}

export interface CredentialSummary {
  id: string;
  name: string;
  provider: ProviderName;
}

/** What the repository runs on: the request's transaction host, or one given manager (keys:rewrap). */
export interface ManagerSource {
  readonly tx: EntityManager;
}

/** Entity properties read raw, under their database names (see selectColumns). */
export const SUMMARY_COLUMNS = ['id', 'name', 'provider'] as const;
export const PUBLIC_COLUMNS = [
  ...SUMMARY_COLUMNS,
  'organizationId',
  'credentialType',
  'isValid',
  'lastVerifiedAt',
  'verificationError',
  'createdAt',
  'updatedAt',
] as const;
export const SEALED_COLUMNS = [...SUMMARY_COLUMNS, 'organizationId', 'ciphertext', 'iv', 'authTag', 'keyVersion', 'revision'] as const;

export interface SealedRow {
  id: string;
  organization_id: string;
  name: string;
  provider: ProviderName;
  ciphertext: Buffer;
  iv: Buffer;
  auth_tag: Buffer;
  key_version: number;
  revision: number;
}

/** Public columns and the resource count, in one statement. */
function selectPublic(manager: EntityManager): SelectQueryBuilder<Credential> {
  return selectColumns(manager.getRepository(Credential).createQueryBuilder('c'), 'c', PUBLIC_COLUMNS).addSelect(
    (sub) =>
      sub
        .select('count(*)::int')
        .from(Resource, 'r')
        // Database names: the outer alias is not known to the sub-query's property mapping.
        .where('r.organization_id = c.organization_id AND r.credential_id = c.id'),
    'resource_count',
  );
}

// The hot reads, built once per DataSource (see CompiledRead), run on the current transaction or the pool.
export const FIND_BY_ID = new CompiledRead<{ organizationId: string; id: string }>(
  (manager) => selectPublic(manager).where('c.organizationId = :organizationId AND c.id = :id'),
  ['organizationId', 'id'],
);
export const LIST = new CompiledRead<{ organizationId: string }>(
  (manager) => selectPublic(manager).where('c.organizationId = :organizationId').orderBy('c.createdAt', 'DESC').addOrderBy('c.id', 'DESC'),
  ['organizationId'],
);
export const FIND_SUMMARY = new CompiledRead<{ organizationId: string; id: string }>(
  (manager) =>
    selectColumns(manager.getRepository(Credential).createQueryBuilder('c'), 'c', SUMMARY_COLUMNS).where(
      'c.organizationId = :organizationId AND c.id = :id',
    ),
  ['organizationId', 'id'],
);

export function toSealed(row: SealedRow): SealedCredential {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    provider: row.provider,
    secret: { ciphertext: row.ciphertext, iv: row.iv, authTag: row.auth_tag, keyVersion: row.key_version },
    revision: row.revision,
  };
}
