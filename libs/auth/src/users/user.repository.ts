import { Injectable } from '@nestjs/common';
import { Repository, SelectQueryBuilder } from 'typeorm';
import { isPgError, PG_UNIQUE_VIOLATION, Role } from '@app/common';
import { CompiledRead, selectColumns, TxHost } from '@app/database';
import { OrganizationAlreadyExistsError } from '../auth.errors';
import { OrganizationSettings } from '../settings/organization-settings.entity';
import { Organization } from './organization.entity';
import { User } from './user.entity';

export interface UserAccount {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  isActive: boolean;
  passwordHash: string;
  organizationId: string;
  organizationName: string;
  organizationSlug: string;
  subscriptionTier: string;
  mfaEnabled: boolean;
  /** The organization requires MFA (§11): without it on, a sign-in reaches only MFA setup. */
  mfaRequiredByOrganization: boolean;
}

interface UserAccountRow {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  is_active: boolean;
  password_hash: string;
  organization_id: string;
  organization_name: string;
  organization_slug: string;
  subscription_tier: string;
  mfa_enabled: boolean;
  mfa_required: boolean;
}

/** What every authenticated request learns about its user, in one statement. */
export interface ActiveUser {
  role: Role;
  email: string;
  mfa_setup_required: boolean;
}

/** User properties read raw, under their database names (see selectColumns). */
const ACCOUNT_COLUMNS = ['id', 'email', 'name', 'role', 'isActive', 'passwordHash', 'organizationId'] as const;

function toAccount(row: UserAccountRow): UserAccount {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    isActive: row.is_active,
    passwordHash: row.password_hash,
    organizationId: row.organization_id,
    organizationName: row.organization_name,
    organizationSlug: row.organization_slug,
    subscriptionTier: row.subscription_tier,
    mfaEnabled: row.mfa_enabled,
    mfaRequiredByOrganization: row.mfa_required,
  };
}

/** The organization requires MFA and the user has not turned it on (no settings row: not required). */
const MFA_SETUP_REQUIRED_SQL = 'u.mfaEnabledAt IS NULL AND coalesce(s.mfaRequired, false)';

/** The per-request check behind every access token, built once per DataSource (see CompiledRead). */
const ACTIVE_ROLE = new CompiledRead<{ organizationId: string; userId: string }>(
  (manager) =>
    manager
      .getRepository(User)
      .createQueryBuilder('u')
      .select('u.role', 'role')
      .addSelect('u.email', 'email')
      // §11: folded into this one read, so enforcement costs no query of its own.
      .addSelect(MFA_SETUP_REQUIRED_SQL, 'mfa_setup_required')
      .leftJoin(OrganizationSettings, 's', 's.organizationId = u.organizationId')
      .where('u.organizationId = :organizationId AND u.id = :userId AND u.isActive'),
  ['organizationId', 'userId'],
);

/** Organizations and their users: the identity tables. Reads are raw rows, one statement each. */
@Injectable()
export class UserRepository {
  constructor(private readonly txHost: TxHost) {}

  /** The current transaction's repositories when there is one, the pool's otherwise. */
  private get users(): Repository<User> {
    return this.txHost.tx.getRepository(User);
  }

  private get organizations(): Repository<Organization> {
    return this.txHost.tx.getRepository(Organization);
  }

  /** A user with the organization it belongs to. */
  private selectAccount(): SelectQueryBuilder<User> {
    return selectColumns(this.users.createQueryBuilder('u'), 'u', ACCOUNT_COLUMNS)
      .addSelect('o.name', 'organization_name')
      .addSelect('o.slug', 'organization_slug')
      .addSelect('o.subscriptionTier', 'subscription_tier')
      .addSelect('u.mfaEnabledAt IS NOT NULL', 'mfa_enabled')
      .addSelect('coalesce(s.mfaRequired, false)', 'mfa_required')
      .innerJoin(Organization, 'o', 'o.id = u.organizationId')
      .leftJoin(OrganizationSettings, 's', 's.organizationId = u.organizationId');
  }

  async createOrganization(name: string, slug: string): Promise<string> {
    try {
      const result = await this.organizations
        .createQueryBuilder()
        .insert()
        .values({ name, slug })
        .returning(['id'])
        .updateEntity(false)
        .execute();
      return (result.raw as Array<{ id: string }>)[0].id;
    } catch (error) {
      if (isPgError(error, PG_UNIQUE_VIOLATION, 'uq_organizations_slug')) {
        throw new OrganizationAlreadyExistsError(slug);
      }
      throw error;
    }
  }

  async createUser(organizationId: string, email: string, name: string | null, passwordHash: string, role: Role): Promise<string> {
    const result = await this.users
      .createQueryBuilder()
      .insert()
      .values({ organizationId, email, name, passwordHash, role })
      .returning(['id'])
      .updateEntity(false)
      .execute();
    return (result.raw as Array<{ id: string }>)[0].id;
  }

  async findAccountForLogin(organizationSlug: string, email: string): Promise<UserAccount | undefined> {
    const row = await this.selectAccount()
      .where('o.slug = :organizationSlug AND u.email = :email', { organizationSlug, email })
      .getRawOne<UserAccountRow>();
    return row ? toAccount(row) : undefined;
  }

  async findOrganizationIdBySlug(slug: string): Promise<string | undefined> {
    const row = await this.organizations
      .createQueryBuilder('o')
      .select('o.id', 'id')
      .where('o.slug = :slug', { slug })
      .getRawOne<{ id: string }>();
    return row?.id;
  }

  /** Scoped by organization too: a token is only good for the organization it names. */
  async findAccount(organizationId: string, userId: string): Promise<UserAccount | undefined> {
    const row = await this.selectAccount()
      .where('u.organizationId = :organizationId AND u.id = :userId', { organizationId, userId })
      .getRawOne<UserAccountRow>();
    return row ? toAccount(row) : undefined;
  }

  /**
   * The per-request check behind every access token: is this user still active, with which role,
   * and must it set up MFA before anything else (§11)?
   */
  findActiveRole(organizationId: string, userId: string): Promise<ActiveUser | undefined> {
    return ACTIVE_ROLE.one<ActiveUser>(this.txHost.tx, { organizationId, userId });
  }

  async touchLastLogin(userId: string): Promise<void> {
    await this.users.update({ id: userId }, { lastLoginAt: () => 'now()' });
  }
}
