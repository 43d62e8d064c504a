import { EntityManager, Repository } from 'typeorm';
import { SealedMfaSecret } from './mfa-secret-sealer.port';
import { UserMfa } from './user-mfa.entity';

/** One user_mfa row with a secret sealed under another key than the active one (either slot). */
export interface SealedMfaRow {
  organizationId: string;
  userId: string;
  secret: SealedMfaSecret | null;
  pending: SealedMfaSecret | null;
}

const OLDER_KEY = '(m.secretKeyVersion <> :activeVersion OR m.pendingKeyVersion <> :activeVersion)';

/**
 * The key-rotation side of user_mfa, for the app's `keys:rewrap` (§4): rows on older keys,
 * across organizations (a rotation moves every row; `organizationId` narrows it), locked with SKIP
 * LOCKED so it can run beside live traffic. Runs on a given manager: the CLI has no Nest context.
 */
export class MfaRewrapRepository {
  private constructor(private readonly manager: EntityManager) {}

  static on(manager: EntityManager): MfaRewrapRepository {
    return new MfaRewrapRepository(manager);
  }

  private get rows(): Repository<UserMfa> {
    return this.manager.getRepository(UserMfa);
  }

  async lockSealedOnOlderKeys(
    activeVersion: number,
    limit: number,
    organizationId: string | null,
    skipUserIds: string[],
  ): Promise<SealedMfaRow[]> {
    const query = this.rows.createQueryBuilder('m').where(OLDER_KEY, { activeVersion });
    if (organizationId) {
      query.andWhere('m.organizationId = :organizationId', { organizationId });
    }
    if (skipUserIds.length > 0) {
      query.andWhere('m.userId NOT IN (:...skipUserIds)', { skipUserIds });
    }
    const found = await query.orderBy('m.userId').limit(limit).setLock('pessimistic_write').setOnLocked('skip_locked').getMany();
    return found.map((row) => ({
      organizationId: row.organizationId,
      userId: row.userId,
      secret:
        row.secretCiphertext && row.secretIv && row.secretAuthTag && row.secretKeyVersion !== null
          ? { ciphertext: row.secretCiphertext, iv: row.secretIv, authTag: row.secretAuthTag, keyVersion: row.secretKeyVersion }
          : null,
      pending:
        row.pendingCiphertext && row.pendingIv && row.pendingAuthTag && row.pendingKeyVersion !== null
          ? { ciphertext: row.pendingCiphertext, iv: row.pendingIv, authTag: row.pendingAuthTag, keyVersion: row.pendingKeyVersion }
          : null,
    }));
  }

  /** The same secrets under the active key; the last accepted step and expiry stay as they are. */
  async storeRewrapped(
    organizationId: string,
    userId: string,
    sealed: { secret: SealedMfaSecret | null; pending: SealedMfaSecret | null },
  ): Promise<void> {
    await this.rows.update(
      { organizationId, userId },
      {
        ...(sealed.secret
          ? {
              secretCiphertext: sealed.secret.ciphertext,
              secretIv: sealed.secret.iv,
              secretAuthTag: sealed.secret.authTag,
              secretKeyVersion: sealed.secret.keyVersion,
            }
          : {}),
        ...(sealed.pending
          ? {
              pendingCiphertext: sealed.pending.ciphertext,
              pendingIv: sealed.pending.iv,
              pendingAuthTag: sealed.pending.authTag,
              pendingKeyVersion: sealed.pending.keyVersion,
            }
          : {}),
      },
    );
  }

  countOnOlderKeys(activeVersion: number, organizationId: string | null): Promise<number> {
    const query = this.rows.createQueryBuilder('m').where(OLDER_KEY, { activeVersion });
    if (organizationId) {
      query.andWhere('m.organizationId = :organizationId', { organizationId });
    }
    return query.getCount();
  }
}
