import { Injectable } from '@nestjs/common';
import { Repository, SelectQueryBuilder } from 'typeorm';
import { ApiKeyScope, Role } from '@app/common';
import { CompiledRead, selectColumns, TxHost } from '@app/database';
import { OrganizationSettings, User } from '@app/auth';
import { ApiKey } from './api-key.entity';

/** Raw columns (database names) of a key as the API shows it, with its creator's email. */
export interface ApiKeyRow {
  id: string;
  name: string;
  description: string | null;
  key_prefix: string;
  scopes: ApiKeyScope[];
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
  created_at: Date;
  created_by_email: string;
}

/** A live key with what its principal needs: one row, one statement, per request. */
export interface LiveApiKeyRow {
  id: string;
  organization_id: string;
  key_prefix: string;
  scopes: ApiKeyScope[];
  last_used_at: Date | null;
  user_id: string;
  email: string;
  role: Role;
  mfa_setup_required: boolean;
}

export interface ApiKeyWrite {
  id: string;
  createdBy: string;
  name: string;
  description: string | null;
  keyPrefix: string;
  keyHash: string;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
}

const COLUMNS = [
  'id',
  'name',
  'description',
  'keyPrefix',
  'scopes',
  'expiresAt',
  'revokedAt',
  'lastUsedAt',
  'lastUsedIp',
  'createdAt',
] as const;

/**
 * The per-request lookup behind every API key, built once per DataSource (see CompiledRead): the
 * key by its hash, not revoked, not expired (by the database's clock), and its creator still
 * active in the key's organization, all in one statement.
 */
const LIVE_KEY = new CompiledRead<{ keyHash: string }>(
  (manager) =>
    manager
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .innerJoin(User, 'u', 'u.organizationId = k.organizationId AND u.id = k.createdBy')
      .select('k.id', 'id')
      .addSelect('k.organizationId', 'organization_id')
      .addSelect('k.keyPrefix', 'key_prefix')
      .addSelect('k.scopes', 'scopes')
      .addSelect('k.lastUsedAt', 'last_used_at')
      .addSelect('u.id', 'user_id')
      .addSelect('u.email', 'email')
      .addSelect('u.role', 'role')
      // §11: a creator whose organization requires MFA and who has not set it up is restricted, key or not.
      .leftJoin(OrganizationSettings, 's', 's.organizationId = k.organizationId')
      .addSelect('coalesce(s.mfaRequired, false) AND u.mfaEnabledAt IS NULL', 'mfa_setup_required')
      .where('k.keyHash = :keyHash AND k.revokedAt IS NULL AND (k.expiresAt IS NULL OR k.expiresAt > now()) AND u.isActive'),
  ['keyHash'],
);

/** The one owner of api_keys. Every method but the per-request lookup takes the organization id. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly txHost: TxHost) {}

  private get keys(): Repository<ApiKey> {
    return this.txHost.tx.getRepository(ApiKey);
  }

  private select(organizationId: string): SelectQueryBuilder<ApiKey> {
    return selectColumns(this.keys.createQueryBuilder('k'), 'k', COLUMNS)
      .innerJoin(User, 'u', 'u.organizationId = k.organizationId AND u.id = k.createdBy')
      .addSelect('u.email', 'created_by_email')
      .where('k.organizationId = :organizationId', { organizationId });
  }

  async insert(organizationId: string, key: ApiKeyWrite): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .insert()
      .values({ ...key, organizationId })
      .updateEntity(false)
      .execute();
  }

  /** Newest first. */
  list(organizationId: string): Promise<ApiKeyRow[]> {
    return this.select(organizationId).orderBy('k.createdAt', 'DESC').addOrderBy('k.id', 'DESC').getRawMany<ApiKeyRow>();
  }

  find(organizationId: string, id: string): Promise<ApiKeyRow | undefined> {
    return this.select(organizationId).andWhere('k.id = :id', { id }).getRawOne<ApiKeyRow>();
  }

  /** The key's row, locked until the transaction ends: a revocation runs once. */
  lock(organizationId: string, id: string): Promise<Pick<ApiKeyRow, 'id' | 'name' | 'key_prefix' | 'revoked_at'> | undefined> {
    return selectColumns(this.keys.createQueryBuilder('k'), 'k', ['id', 'name', 'keyPrefix', 'revokedAt'])
      .where('k.organizationId = :organizationId AND k.id = :id', { organizationId, id })
      .setLock('pessimistic_write')
      .getRawOne();
  }

  async revoke(organizationId: string, id: string): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('organization_id = :organizationId AND id = :id AND revoked_at IS NULL', { organizationId, id })
      .execute();
  }

  /** Every live key of one user dies (the user was deactivated). */
  async revokeAllOfUser(organizationId: string, userId: string): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('organization_id = :organizationId AND created_by = :userId AND revoked_at IS NULL', { organizationId, userId })
      .execute();
  }

  findLive(keyHash: string): Promise<LiveApiKeyRow | undefined> {
    return LIVE_KEY.one<LiveApiKeyRow>(this.txHost.tx, { keyHash });
  }

  /**
   * Records a use, unless one was recorded within `intervalSeconds` (by the database's clock): of
   * requests racing at the turn of the minute, one writes. Answers whether this one did.
   */
  async recordUse(id: string, ip: string | null, intervalSeconds: number): Promise<boolean> {
    const result = await this.keys
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: () => 'now()', lastUsedIp: ip })
      .where('id = :id AND (last_used_at IS NULL OR last_used_at <= now() - make_interval(secs => :intervalSeconds))', {
        id,
        intervalSeconds,
      })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
