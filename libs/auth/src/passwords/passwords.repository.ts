import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import { TxHost } from '@app/database';
import { Organization } from '../users/organization.entity';
import { User } from '../users/user.entity';

/** Who a forgot-password request names, if anyone. */
export interface ResetTarget {
  id: string;
  organizationId: string;
  email: string;
  organizationName: string;
  /** Active, invitation accepted, a password set: the only users a reset mail goes to. */
  canReset: boolean;
}

/**
 * The password columns of users, and the refresh tokens a password change ends. Reads are raw
 * rows, one statement each; every write is scoped by organization and user.
 */
@Injectable()
export class PasswordsRepository {
  constructor(private readonly txHost: TxHost) {}

  private get users(): Repository<User> {
    return this.txHost.tx.getRepository(User);
  }

  async findResetTarget(organizationSlug: string, email: string): Promise<ResetTarget | undefined> {
    const row = await this.users
      .createQueryBuilder('u')
      .select('u.id', 'id')
      .addSelect('u.organizationId', 'organization_id')
      .addSelect('u.email', 'email')
      .addSelect('o.name', 'organization_name')
      .addSelect('u.isActive AND NOT u.invitationPending AND u.passwordHash IS NOT NULL', 'can_reset')
      .innerJoin(Organization, 'o', 'o.id = u.organizationId')
      .where('o.slug = :organizationSlug AND u.email = :email', { organizationSlug, email })
      .getRawOne<{ id: string; organization_id: string; email: string; organization_name: string; can_reset: boolean }>();
    return row
      ? {
          id: row.id,
          organizationId: row.organization_id,
          email: row.email,
          organizationName: row.organization_name,
          canReset: row.can_reset,
        }
      : undefined;
  }

  /** Whether the password was set more than `days` ago (by the database's clock; users from before the column count from creation). */
  async isPasswordOlderThan(organizationId: string, userId: string, days: number): Promise<boolean> {
    const row = await this.users
      .createQueryBuilder('u')
      .select('coalesce(u.passwordChangedAt, u.createdAt) < now() - make_interval(days => :days)', 'expired')
      .where('u.organizationId = :organizationId AND u.id = :userId', { organizationId, userId, days })
      .getRawOne<{ expired: boolean }>();
    return row?.expired ?? false;
  }

  /**
   * Sets the password and its date. With `expectedHash`, only while the stored hash is still that
   * one (compare-and-set): two concurrent changes from one current password cannot both win.
   */
  async setPassword(organizationId: string, userId: string, passwordHash: string, expectedHash?: string): Promise<boolean> {
    const query = this.users
      .createQueryBuilder()
      .update()
      .set({ passwordHash, passwordChangedAt: () => 'now()', updatedAt: () => 'now()' })
      .where('organization_id = :organizationId AND id = :userId AND is_active', { organizationId, userId });
    if (expectedHash !== undefined) {
      query.andWhere('password_hash = :expectedHash', { expectedHash });
    }
    const result = await query.updateEntity(false).execute();
    return (result.affected ?? 0) > 0;
  }
}
