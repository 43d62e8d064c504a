import { ResourceNotFoundError } from '@app/resources';
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Principal, RequestContext, ValidationError } from '@app/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { CreateRoleDto, RoleAssignmentResponseDto, RoleDto, UpdateRoleDto } from './dto/role.dto';
import { AlreadyAssignedError, NotAssignedError, RoleNotFoundError } from './role.errors';
import { UserNotFoundError } from '../users/user.errors';
import { toRoleDto } from './role.mapper';
import { RolesRepository, RoleSummary, RoleWrite } from './roles.repository';

const EDITABLE = ['name', 'description', 'maxSessionDurationHours'] as const;
const COLUMN_OF = { name: 'name', description: 'description', maxSessionDurationHours: 'max_session_duration_hours' } as const;

@Injectable()
export class RolesService {
  constructor(
    private readonly repository: RolesRepository,
    private readonly audit: AuditService,
    private readonly txHost: TxHost,
    private readonly context: RequestContext,
  ) {}

  async create(principal: Principal, dto: CreateRoleDto): Promise<RoleDto> {
    const organizationId = principal.organizationId;
    const id = randomUUID();
    const write: RoleWrite = {
      name: dto.name,
      description: dto.description ?? null,
      maxSessionDurationHours: dto.maxSessionDurationHours ?? null,
    };
    this.context.nameTarget(dto.name);
    return this.txHost.withTransaction(async () => {
      await this.repository.insert(organizationId, id, write);
      await this.audit.record({
        eventType: 'ROLE_CREATE',
        targetType: 'ROLE',
        targetId: id,
        targetName: write.name,
        details: { name: write.name, description: write.description, maxSessionDurationHours: write.maxSessionDurationHours },
      });
      return this.mustFind(organizationId, id);
    });
  }

  async list(principal: Principal): Promise<RoleDto[]> {
    const rows = await this.repository.list(principal.organizationId);
    return rows.map(toRoleDto);
  }

  get(principal: Principal, id: string): Promise<RoleDto> {
    return this.mustFind(principal.organizationId, id);
  }

  async update(principal: Principal, id: string, dto: UpdateRoleDto): Promise<RoleDto> {
    const given = EDITABLE.filter((field) => dto[field] !== undefined);
    if (!given.length) {
      throw new ValidationError('Request validation failed', [
        { field: 'body', message: 'provide name, description or maxSessionDurationHours' },
      ]);
    }
    const organizationId = principal.organizationId;
    return this.txHost.withTransaction(async () => {
      const current = await this.mustLock(organizationId, id);
      const changedFields = given.filter((field) => dto[field] !== current[COLUMN_OF[field]]);
      const changes = Object.fromEntries(changedFields.map((field) => [field, dto[field]])) as Partial<RoleWrite>;
      if (changedFields.length) {
        await this.repository.update(organizationId, id, changes);
      }
      const name = changes.name ?? current.name;
      await this.audit.record({
        eventType: 'ROLE_UPDATE',
        targetType: 'ROLE',
        targetId: id,
        targetName: name,
        details: { changedFields, previousName: current.name, name },
      });
      return this.mustFind(organizationId, id);
    });
  }

  /** Users and resources are detached by the foreign keys' cascade; running sessions are not touched (§12). */
  async delete(principal: Principal, id: string): Promise<void> {
    const organizationId = principal.organizationId;
    await this.txHost.withTransaction(async () => {
      const current = await this.mustLock(organizationId, id);
      await this.repository.delete(organizationId, id);
      await this.audit.record({
        eventType: 'ROLE_DELETE',
        targetType: 'ROLE',
        targetId: id,
        targetName: current.name,
        details: { name: current.name },
      });
    });
  }

  async assignUser(principal: Principal, id: string, userId: string): Promise<RoleAssignmentResponseDto> {
    const organizationId = principal.organizationId;
    await this.txHost.withTransaction(async () => {
      const role = await this.mustFindSummary(organizationId, id);
      const user = await this.mustFindUser(organizationId, userId);
      if (!(await this.repository.addUser(organizationId, id, userId))) {
        throw new AlreadyAssignedError('user');
      }
      await this.audit.record({
        eventType: 'ROLE_USER_ASSIGN',
        targetType: 'ROLE',
        targetId: id,
        targetName: role.name,
        details: { roleName: role.name, userId, email: user.email },
      });
    });
    return { message: 'User assigned to role successfully' };
  }

  async unassignUser(principal: Principal, id: string, userId: string): Promise<void> {
    const organizationId = principal.organizationId;
    await this.txHost.withTransaction(async () => {
      const role = await this.mustFindSummary(organizationId, id);
      const user = await this.mustFindUser(organizationId, userId);
      if (!(await this.repository.removeUser(organizationId, id, userId))) {
        throw new NotAssignedError('user');
      }
      await this.audit.record({
        eventType: 'ROLE_USER_UNASSIGN',
        targetType: 'ROLE',
        targetId: id,
        targetName: role.name,
        details: { roleName: role.name, userId, email: user.email },
      });
    });
  }

  async assignResource(principal: Principal, id: string, resourceId: string): Promise<RoleAssignmentResponseDto> {
    const organizationId = principal.organizationId;
    await this.txHost.withTransaction(async () => {
      const role = await this.mustFindSummary(organizationId, id);
      const resource = await this.mustFindResource(organizationId, resourceId);
      if (!(await this.repository.addResource(organizationId, id, resourceId))) {
        throw new AlreadyAssignedError('resource');
      }
      await this.audit.record({
        eventType: 'ROLE_RESOURCE_ASSIGN',
        targetType: 'ROLE',
        targetId: id,
        targetName: role.name,
        details: { roleName: role.name, resourceId, resourceName: resource.name },
      });
    });
    return { message: 'Resource assigned to role successfully' };
  }

  async unassignResource(principal: Principal, id: string, resourceId: string): Promise<void> {
    const organizationId = principal.organizationId;
    await this.txHost.withTransaction(async () => {
      const role = await this.mustFindSummary(organizationId, id);
      const resource = await this.mustFindResource(organizationId, resourceId);
      if (!(await this.repository.removeResource(organizationId, id, resourceId))) {
        throw new NotAssignedError('resource');
      }
      await this.audit.record({
        eventType: 'ROLE_RESOURCE_UNASSIGN',
        targetType: 'ROLE',
        targetId: id,
        targetName: role.name,
        details: { roleName: role.name, resourceId, resourceName: resource.name },
      });
    });
  }

  private async mustFind(organizationId: string, id: string): Promise<RoleDto> {
    const row = await this.repository.findById(organizationId, id);
    if (!row) {
      throw new RoleNotFoundError(id);
    }
    return toRoleDto(row);
  }

  /** Locked, and named for the refusal audit row should a later rule refuse. */
  private async mustLock(organizationId: string, id: string): Promise<RoleSummary> {
    const role = await this.repository.lock(organizationId, id);
    if (!role) {
      throw new RoleNotFoundError(id);
    }
    this.context.nameTarget(role.name);
    return role;
  }

  private async mustFindSummary(organizationId: string, id: string): Promise<RoleSummary> {
    const role = await this.repository.findSummary(organizationId, id);
    if (!role) {
      throw new RoleNotFoundError(id);
    }
    this.context.nameTarget(role.name);
    return role;
  }

  private async mustFindUser(organizationId: string, userId: string): Promise<{ id: string; email: string }> {
    const user = await this.repository.findUser(organizationId, userId);
    if (!user) {
      throw new UserNotFoundError(userId);
    }
    return user;
  }

  private async mustFindResource(organizationId: string, resourceId: string): Promise<{ id: string; name: string }> {
    const resource = await this.repository.findResource(organizationId, resourceId);
    if (!resource) {
      throw new ResourceNotFoundError(resourceId);
    }
    return resource;
  }
}
