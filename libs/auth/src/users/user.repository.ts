import { Injectable } from '@nestjs/common';
import { isPgError, PG_UNIQUE_VIOLATION, Role } from '@app/common';
import { runSql, TxHost } from '@app/database';
import { OrganizationAlreadyExistsError } from '../auth.errors';

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
}

const ACCOUNT_SELECT = `
  SELECT u.id, u.email, u.name, u.role, u.is_active, u.password_hash, u.organization_id,
         o.name AS organization_name, o.slug AS organization_slug, o.subscription_tier
  FROM users u JOIN organizations o ON o.id = u.organization_id`;

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
  };
}

/** Organizations and their users: the identity tables. */
@Injectable()
export class UserRepository {
  constructor(private readonly txHost: TxHost) {}

  async createOrganization(name: string, slug: string): Promise<string> {
    try {
      const { rows } = await runSql<{ id: string }>(this.txHost.tx, `INSERT INTO organizations (name, slug) VALUES ($1, $2) RETURNING id`, [
        name,
        slug,
      ]);
      return rows[0].id;
    } catch (error) {
      if (isPgError(error, PG_UNIQUE_VIOLATION, 'uq_organizations_slug')) {
        throw new OrganizationAlreadyExistsError(slug);
      }
      throw error;
    }
  }

  async createUser(organizationId: string, email: string, name: string | null, passwordHash: string, role: Role): Promise<string> {
    const { rows } = await runSql<{ id: string }>(
      this.txHost.tx,
      `INSERT INTO users (organization_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [organizationId, email, name, passwordHash, role],
    );
    return rows[0].id;
  }

  async findAccountForLogin(organizationSlug: string, email: string): Promise<UserAccount | undefined> {
    const { rows } = await runSql<UserAccountRow>(this.txHost.tx, `${ACCOUNT_SELECT} WHERE o.slug = $1 AND u.email = $2`, [
      organizationSlug,
      email,
    ]);
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  async findOrganizationIdBySlug(slug: string): Promise<string | undefined> {
    const { rows } = await runSql<{ id: string }>(this.txHost.tx, `SELECT id FROM organizations WHERE slug = $1`, [slug]);
    return rows[0]?.id;
  }

  /** Scoped by organization too: a token is only good for the organization it names. */
  async findAccount(organizationId: string, userId: string): Promise<UserAccount | undefined> {
    const { rows } = await runSql<UserAccountRow>(this.txHost.tx, `${ACCOUNT_SELECT} WHERE u.organization_id = $1 AND u.id = $2`, [
      organizationId,
      userId,
    ]);
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  /** The per-request check behind every access token: is this user still active, with which role? */
  async findActiveRole(organizationId: string, userId: string): Promise<{ role: Role; email: string } | undefined> {
    const { rows } = await runSql<{ role: Role; email: string }>(
      this.txHost.tx,
      `SELECT role, email FROM users WHERE organization_id = $1 AND id = $2 AND is_active`,
      [organizationId, userId],
    );
    return rows[0];
  }

  async touchLastLogin(userId: string): Promise<void> {
    await runSql(this.txHost.tx, `UPDATE users SET last_login_at = now() WHERE id = $1`, [userId]);
  }
}
