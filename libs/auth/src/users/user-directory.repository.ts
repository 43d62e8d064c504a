import { Injectable } from '@nestjs/common';
import { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import { isPgError, PG_UNIQUE_VIOLATION, Role } from '@app/common';
import { CompiledRead, selectColumns, TxHost } from '@app/database';
import { Organization } from './organization.entity';
import { User } from './user.entity';

/** A member as the people API shows it, raw (database names), with the names of its roles. */
export interface DirectoryUserRow {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  is_active: boolean;
  invitation_pending: boolean;
  last_login_at: Date | null;
  /** Null while MFA is off (§11). */
  mfa_enabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
  role_names: string[];
}

/** What the rules of a change need to know about its target, read under the row lock. */
export interface DirectoryUserState {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  isActive: boolean;
  invitationPending: boolean;
}

export interface DirectoryUserChanges {
  name?: string;
  role?: Role;
  isActive?: boolean;
}

const PUBLIC_COLUMNS = [
  'id',
  'email',
  'name',
  'role',
  'isActive',
  'invitationPending',
  'lastLoginAt',
  'mfaEnabledAt',
  'createdAt',
  'updatedAt',
] as const;

/**
 * The role names of `u`, sorted. By table name: roles belong to libs/users, which depends on this
 * library. A correlated ARRAY(...) keeps the list one statement without a GROUP BY over every column.
 */
const ROLE_NAMES_SQL = `ARRAY(SELECT r.name FROM role_users ru INNER JOIN roles r ON r.organization_id = ru.organization_id AND r.id = ru.role_id
  WHERE ru.organization_id = u.organization_id AND ru.user_id = u.id ORDER BY lower(r.name), r.id)::text[]`;

function selectPublic(manager: EntityManager): SelectQueryBuilder<User> {
  return selectColumns(manager.getRepository(User).createQueryBuilder('u'), 'u', PUBLIC_COLUMNS).addSelect(ROLE_NAMES_SQL, 'role_names');
}

const LIST = new CompiledRead<{ organizationId: string }>(
  (manager) => selectPublic(manager).where('u.organizationId = :organizationId').orderBy('u.createdAt', 'ASC').addOrderBy('u.id', 'ASC'),
  ['organizationId'],
);
const FIND_BY_ID = new CompiledRead<{ organizationId: string; id: string }>(
  (manager) => selectPublic(manager).where('u.organizationId = :organizationId AND u.id = :id'),
  ['organizationId', 'id'],
);

/**
 * The people API's view of the users table (libs/users drives it): listing, invitations, role and
 * activity changes, deletion, and the counts the last-admin rule needs. Sign-in's own reads stay in
 * UserRepository. Every method takes the organization id.
 */
@Injectable()
export class UserDirectoryRepository {
  constructor(private readonly txHost: TxHost) {}

  private get users(): Repository<User> {
    return this.txHost.tx.getRepository(User);
  }

  list(organizationId: string): Promise<DirectoryUserRow[]> {
    return LIST.many<DirectoryUserRow>(this.txHost.tx, { organizationId });
  }

  findById(organizationId: string, id: string): Promise<DirectoryUserRow | undefined> {
    return FIND_BY_ID.one<DirectoryUserRow>(this.txHost.tx, { organizationId, id });
  }

  async organizationName(organizationId: string): Promise<string | undefined> {
    const row = await this.txHost.tx
      .getRepository(Organization)
      .createQueryBuilder('o')
      .select('o.name', 'name')
      .where('o.id = :organizationId', { organizationId })
      .getRawOne<{ name: string }>();
    return row?.name;
  }

  /**
   * Locks the organization row for the rest of the transaction. Every change that can take away
   * an admin takes this lock first, so "count the other admins, then change" cannot interleave:
   * two admins demoting each other at once leave one admin.
   */
  async lockOrganization(organizationId: string): Promise<boolean> {
    const row = await this.txHost.tx
      .getRepository(Organization)
      .createQueryBuilder('o')
      .select('o.id', 'id')
      .where('o.id = :organizationId', { organizationId })
      .setLock('pessimistic_write')
      .getRawOne<{ id: string }>();
    return row !== undefined;
  }

  /** The user's row, locked: a concurrent change of the same user waits. */
  async lockUser(organizationId: string, id: string): Promise<DirectoryUserState | undefined> {
    const row = await this.users
      .createQueryBuilder('u')
      .select(['u.id', 'u.email', 'u.name', 'u.role', 'u.isActive', 'u.invitationPending'])
      .where('u.organizationId = :organizationId AND u.id = :id', { organizationId, id })
      .setLock('pessimistic_write')
      .getOne();
    return row
      ? { id: row.id, email: row.email, name: row.name, role: row.role, isActive: row.isActive, invitationPending: row.invitationPending }
      : undefined;
  }

  /** Admins who can act: active, with an accepted invitation (an unaccepted one cannot sign in). */
  countActiveAdmins(organizationId: string, excludingUserId: string): Promise<number> {
    return this.users
      .createQueryBuilder('u')
      .where("u.organizationId = :organizationId AND u.role = 'ORG_ADMIN' AND u.isActive AND NOT u.invitationPending", { organizationId })
      .andWhere('u.id <> :excludingUserId', { excludingUserId })
      .getCount();
  }

  /**
   * A user without a password, invitation pending. Undefined when the organization already has a
   * user with this email: the unique index decides, so two concurrent invitations cannot both win.
   * `email` must already be lower-case (how every email is stored).
   */
  async insertInvited(organizationId: string, email: string, name: string | null, role: Role): Promise<string | undefined> {
    try {
      const result = await this.users
        .createQueryBuilder()
        .insert()
        .values({ organizationId, email, name, role, passwordHash: null, invitationPending: true })
        .returning(['id'])
        .updateEntity(false)
        .execute();
      return (result.raw as Array<{ id: string }>)[0].id;
    } catch (error) {
      if (isPgError(error, PG_UNIQUE_VIOLATION, 'uq_users_org_email')) {
        return undefined;
      }
      throw error;
    }
  }

  async update(organizationId: string, id: string, changes: DirectoryUserChanges): Promise<void> {
    await this.users.update({ organizationId, id }, { ...changes, updatedAt: () => 'now()' });
  }

  /** The invitation is accepted: the password is set and the email counts as verified. False if it no longer applies. */
  async acceptInvitation(organizationId: string, id: string, passwordHash: string): Promise<boolean> {
    const result = await this.users
      .createQueryBuilder()
      .update()
      .set({
        passwordHash,
        invitationPending: false,
        emailVerifiedAt: () => 'now()',
        passwordChangedAt: () => 'now()',
        updatedAt: () => 'now()',
      })
      .where('organization_id = :organizationId AND id = :id AND invitation_pending AND is_active', { organizationId, id })
      .updateEntity(false)
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Role memberships, one-time and refresh tokens go with the row (ON DELETE CASCADE). */
  async delete(organizationId: string, id: string): Promise<void> {
    await this.users.delete({ organizationId, id });
  }
}
