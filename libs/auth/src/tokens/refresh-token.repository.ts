import { Injectable } from '@nestjs/common';
import { IsNull, Repository } from 'typeorm';
import { TxHost } from '@app/database';
import { RefreshToken } from './refresh-token.entity';

export interface RefreshTokenRecord {
  id: string;
  userId: string;
  organizationId: string;
  familyId: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

@Injectable()
export class RefreshTokenRepository {
  constructor(private readonly txHost: TxHost) {}

  /** The current transaction's repository: rotation reads, marks and inserts in one transaction. */
  private get tokens(): Repository<RefreshToken> {
    return this.txHost.tx.getRepository(RefreshToken);
  }

  async insert(record: { userId: string; organizationId: string; familyId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
    await this.tokens.createQueryBuilder().insert().values(record).updateEntity(false).execute();
  }

  /** Locks the row: two refreshes of one token cannot both succeed. */
  async findByHashForUpdate(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const token = await this.tokens
      .createQueryBuilder('t')
      .select(['t.id', 't.userId', 't.organizationId', 't.familyId', 't.expiresAt', 't.usedAt', 't.revokedAt'])
      .where('t.tokenHash = :tokenHash', { tokenHash })
      .setLock('pessimistic_write')
      .getOne();
    return token
      ? {
          id: token.id,
          userId: token.userId,
          organizationId: token.organizationId,
          familyId: token.familyId,
          expiresAt: token.expiresAt,
          usedAt: token.usedAt,
          revokedAt: token.revokedAt,
        }
      : undefined;
  }

  async markUsed(id: string): Promise<void> {
    await this.tokens.update({ id }, { usedAt: () => 'now()' });
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.tokens.update({ familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  /** Every live refresh token of the user dies, but for one family when given (the caller's own session). */
  async revokeAllForUser(organizationId: string, userId: string, keepFamilyId?: string): Promise<void> {
    const query = this.tokens
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('organization_id = :organizationId AND user_id = :userId AND revoked_at IS NULL', { organizationId, userId });
    if (keepFamilyId) {
      query.andWhere('family_id <> :keepFamilyId', { keepFamilyId });
    }
    await query.updateEntity(false).execute();
  }
}
