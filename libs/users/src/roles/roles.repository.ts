import { ResourceNotFoundError } from '@app/resources';
import { Injectable } from '@nestjs/common';
import { QueryDeepPartialEntity, Repository, SelectQueryBuilder } from 'typeorm';
import { isPgError, PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION } from '@app/common';
import { prepared, selectColumns, TxHost } from '@app/database';
import { User } from '@app/auth';
import { Resource } from '@app/resources';
import { RoleResource, RoleUser } from './role-assignment.entity';
import { Role } from './role.entity';
import { RoleAlreadyExistsError, RoleNotFoundError } from './role.errors';
import { UserNotFoundError } from '../users/user.errors';

/** Raw columns (database names), with the ids of the role's users and resources. */
export interface RoleRow {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  max_session_duration_hours: number | null;
  created_at: Date;
  updated_at: Date;
  user_ids: string[];
  resource_ids: string[];
}

export interface RoleSummary {
  id: string;
  name: string;
  description: string | null;
  max_session_duration_hours: number | null;
}

export interface RoleWrite {
  name: string;
  description: string | null;
  maxSessionDurationHours: number | null;
}

const SUMMARY_COLUMNS = ['id', 'name', 'description', 'maxSessionDurationHours'] as const;
const COLUMNS = [...SUMMARY_COLUMNS, 'organizationId', 'createdAt', 'updatedAt'] as const;

/** A user about to start a session, and what their roles give them. */
export interface StartingUser {
  name: string | null;
  email: string;
  resourceIds: string[];
  maxSessionHours: number | null;
}

/**
 * The one owner of roles, role_users and role_resources. Every method takes the organization
 * id. Users and resources belong to other modules: they are only read here, by entity (and a
 * user's row locked for a session's start, with what their roles give, in `lockUserForStart`).
 */
@Injectable()
export class RolesRepository {
  constructor(private readonly txHost: TxHost) {}

  private get roles(): Repository<Role> {
    return this.txHost.tx.getRepository(Role);
  }

  private get roleUsers(): Repository<RoleUser> {
    return this.txHost.tx.getRepository(RoleUser);
  }

  private get roleResources(): Repository<RoleResource> {
    return this.txHost.tx.getRepository(RoleResource);
  }

  /** Public columns and both id lists, in one statement for a whole list (no query per role). */
  private select(): SelectQueryBuilder<Role> {
    // Sub-queries name database columns: the outer alias is not known to their property mapping.
    return selectColumns(this.roles.createQueryBuilder('r'), 'r', COLUMNS)
      .addSelect(
        (sub) =>
          sub
            .select(`coalesce(array_agg(ru.user_id ORDER BY ru.created_at, ru.user_id), '{}')`)
            .from(RoleUser, 'ru')
            .where('ru.role_id = r.id'),
        'user_ids',
      )
      .addSelect(
        (sub) =>
          sub
            .select(`coalesce(array_agg(rr.resource_id ORDER BY rr.created_at, rr.resource_id), '{}')`)
            .from(RoleResource, 'rr')
            .where('rr.role_id = r.id'),
        'resource_ids',
      );
  }

  findById(organizationId: string, id: string): Promise<RoleRow | undefined> {
    return this.select().where('r.organizationId = :organizationId AND r.id = :id', { organizationId, id }).getRawOne<RoleRow>();
  }

  /** Newest first (ix_roles_org_created). */
  list(organizationId: string): Promise<RoleRow[]> {
    return this.select()
      .where('r.organizationId = :organizationId', { organizationId })
      .orderBy('r.createdAt', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .getRawMany<RoleRow>();
  }

  /** Row lock for the rest of the transaction: a concurrent update or delete of the role waits. */
  lock(organizationId: string, id: string): Promise<RoleSummary | undefined> {
    return selectColumns(this.roles.createQueryBuilder('r'), 'r', SUMMARY_COLUMNS)
      .where('r.organizationId = :organizationId AND r.id = :id', { organizationId, id })
      .setLock('pessimistic_write')
      .getRawOne<RoleSummary>();
  }

  /** Without a lock: assignments rely on the foreign keys if the role goes meanwhile. */
  findSummary(organizationId: string, id: string): Promise<RoleSummary | undefined> {
    return selectColumns(this.roles.createQueryBuilder('r'), 'r', SUMMARY_COLUMNS)
      .where('r.organizationId = :organizationId AND r.id = :id', { organizationId, id })
      .getRawOne<RoleSummary>();
  }

  /** A name taken case-insensitively (uq_roles_org_name, even under a race) is ROLE_ALREADY_EXISTS. */
  async insert(organizationId: string, id: string, write: RoleWrite): Promise<void> {
    try {
      await this.roles
        .createQueryBuilder()
        .insert()
        .values({ id, organizationId, ...write })
        .updateEntity(false)
        .execute();
    } catch (error) {
      throw translate(error, write.name);
    }
  }

  async update(organizationId: string, id: string, changes: Partial<RoleWrite>): Promise<void> {
    try {
      await this.roles.update({ organizationId, id }, { ...changes, updatedAt: () => 'now()' });
    } catch (error) {
      throw translate(error, changes.name ?? '');
    }
  }

  /** The foreign keys cascade: the role's users and resources are detached, never deleted. */
  async delete(organizationId: string, id: string): Promise<void> {
    await this.roles.delete({ organizationId, id });
  }

  findUser(organizationId: string, userId: string): Promise<{ id: string; email: string } | undefined> {
    return this.txHost.tx
      .getRepository(User)
      .createQueryBuilder('u')
      .select('u.id', 'id')
      .addSelect('u.email', 'email')
      .where('u.organizationId = :organizationId AND u.id = :userId', { organizationId, userId })
      .getRawOne();
  }

  findResource(organizationId: string, resourceId: string): Promise<{ id: string; name: string } | undefined> {
    return this.txHost.tx
      .getRepository(Resource)
      .createQueryBuilder('r')
      .select('r.id', 'id')
      .addSelect('r.name', 'name')
      .where('r.organizationId = :organizationId AND r.id = :resourceId', { organizationId, resourceId })
      .getRawOne();
  }

  /** False when the user already was in the role (also when a concurrent request just added it). */
  addUser(organizationId: string, roleId: string, userId: string): Promise<boolean> {
    return this.assign(this.roleUsers, { organizationId, roleId, userId }, userId);
  }

  async removeUser(organizationId: string, roleId: string, userId: string): Promise<boolean> {
    const result = await this.roleUsers.delete({ organizationId, roleId, userId });
    return (result.affected ?? 0) > 0;
  }

  /** False when the resource already was in the role. */
  addResource(organizationId: string, roleId: string, resourceId: string): Promise<boolean> {
    return this.assign(this.roleResources, { organizationId, roleId, resourceId }, resourceId);
  }

  /** One insert for both assignment tables; a duplicate is ignored, so the answer says whether it was new. */
  private async assign<T extends RoleUser | RoleResource>(
    table: Repository<T>,
    row: QueryDeepPartialEntity<T> & { roleId: string },
    otherId: string,
  ): Promise<boolean> {
    try {
      const result = await table.createQueryBuilder().insert().values(row).orIgnore().returning('role_id').updateEntity(false).execute();
      return (result.raw as unknown[]).length > 0;
    } catch (error) {
      throw translateAssignment(error, row.roleId, otherId);
    }
  }

  async removeResource(organizationId: string, roleId: string, resourceId: string): Promise<boolean> {
    const result = await this.roleResources.delete({ organizationId, roleId, resourceId });
    return (result.affected ?? 0) > 0;
  }

  /**
   * For a session's start, in one statement: the user's row, locked (so that one user's concurrent
   * starts count their live sessions one after another, and a removal or deactivation of the user
   * waits for the start or the start sees the user gone), with what the user's roles give: every
   * resource of any of them, each once, in id order, and the smallest maxSessionDurationHours among
   * them (null when none sets one, or the user is in no role). Undefined unless the user is there
   * and active.
   *
   * The roles are read as of the statement's start, also when it then waits for the lock: a role
   * change that commits during the wait counts as made just after this start, as if it had come a
   * moment later (a role change leaves running sessions alone, §12). FOR NO KEY UPDATE: rows that
   * merely reference the user (a role assignment, a token, an API key) are not held up by a start.
   */
  async lockUserForStart(organizationId: string, userId: string): Promise<StartingUser | undefined> {
    const [row]: Array<{ name: string | null; email: string; resource_ids: string[]; hours: number | null }> = await this.txHost.tx.query(
      prepared(`SELECT u.name, u.email,
         ARRAY(SELECT DISTINCT rr.resource_id FROM role_users ru
               JOIN role_resources rr ON rr.role_id = ru.role_id AND rr.organization_id = ru.organization_id
               WHERE ru.organization_id = $1 AND ru.user_id = $2 ORDER BY rr.resource_id)::text[] AS resource_ids,
         (SELECT min(r.max_session_duration_hours) FROM role_users ru
               JOIN roles r ON r.id = ru.role_id AND r.organization_id = ru.organization_id
               WHERE ru.organization_id = $1 AND ru.user_id = $2) AS hours
       FROM users u WHERE u.organization_id = $1 AND u.id = $2 AND u.is_active FOR NO KEY UPDATE OF u`),
      [organizationId, userId],
    );
    return row && { name: row.name, email: row.email, resourceIds: row.resource_ids, maxSessionHours: row.hours };
  }

  /**
   * For the sessions engine: the smallest maxSessionDurationHours among the user's roles; null when
   * no role of the user sets one (or the user is in none). min() skips roles without a cap.
   */
  async maxSessionHoursForUser(organizationId: string, userId: string): Promise<number | null> {
    const row = await this.roleUsers
      .createQueryBuilder('ru')
      .select('min(r.max_session_duration_hours)', 'hours')
      .innerJoin(Role, 'r', 'r.id = ru.role_id AND r.organization_id = ru.organization_id')
      .where('ru.organizationId = :organizationId AND ru.userId = :userId', { organizationId, userId })
      .getRawOne<{ hours: number | null }>();
    return row?.hours ?? null;
  }
}

function translate(error: unknown, name: string): unknown {
  if (isPgError(error, PG_UNIQUE_VIOLATION, 'uq_roles_org_name')) {
    return new RoleAlreadyExistsError(name);
  }
  return error;
}

/** The existence checks ran first; these cover a role, user or resource deleted in between. */
function translateAssignment(error: unknown, roleId: string, otherId: string): unknown {
  if (
    isPgError(error, PG_FOREIGN_KEY_VIOLATION, 'fk_role_users_role') ||
    isPgError(error, PG_FOREIGN_KEY_VIOLATION, 'fk_role_resources_role')
  ) {
    return new RoleNotFoundError(roleId);
  }
  if (isPgError(error, PG_FOREIGN_KEY_VIOLATION, 'fk_role_users_user')) {
    return new UserNotFoundError(otherId);
  }
  if (isPgError(error, PG_FOREIGN_KEY_VIOLATION, 'fk_role_resources_resource')) {
    return new ResourceNotFoundError(otherId);
  }
  return error;
}
