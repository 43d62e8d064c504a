import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Principal, UuidParam } from '@app/common';
import { CurrentPrincipal, Roles } from '@app/auth';
import { AuditedAction } from '@app/audit';
import { CreateRoleDto, RoleAssignmentResponseDto, RoleDto, UpdateRoleDto } from './dto/role.dto';
import { RoleDocs } from './roles.openapi';
import { RolesService } from './roles.service';

@ApiTags('Roles')
@ApiBearerAuth()
@Roles('ORG_ADMIN')
@Controller('roles')
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Post()
  @AuditedAction('ROLE_CREATE', 'ROLE')
  @RoleDocs.create()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateRoleDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RoleDto> {
    const created = await this.roles.create(principal, dto);
    reply.header('Location', `/api/v1/roles/${created.id}`);
    return created;
  }

  @Get()
  @RoleDocs.list()
  list(@CurrentPrincipal() principal: Principal): Promise<RoleDto[]> {
    return this.roles.list(principal);
  }

  @Get(':id')
  @RoleDocs.get()
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<RoleDto> {
    return this.roles.get(principal, id);
  }

  @Patch(':id')
  @AuditedAction('ROLE_UPDATE', 'ROLE')
  @RoleDocs.update()
  update(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: UpdateRoleDto): Promise<RoleDto> {
    return this.roles.update(principal, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @AuditedAction('ROLE_DELETE', 'ROLE')
  @RoleDocs.delete()
  delete(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<void> {
    return this.roles.delete(principal, id);
  }

  @Post(':id/users/:userId')
  @HttpCode(200)
  @AuditedAction('ROLE_USER_ASSIGN', 'ROLE')
  @RoleDocs.assignUser()
  assignUser(
    @CurrentPrincipal() principal: Principal,
    @UuidParam() id: string,
    @UuidParam('userId') userId: string,
  ): Promise<RoleAssignmentResponseDto> {
    return this.roles.assignUser(principal, id, userId);
  }

  @Delete(':id/users/:userId')
  @HttpCode(204)
  @AuditedAction('ROLE_USER_UNASSIGN', 'ROLE')
  @RoleDocs.unassignUser()
  unassignUser(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @UuidParam('userId') userId: string): Promise<void> {
    return this.roles.unassignUser(principal, id, userId);
  }

  @Post(':id/resources/:resourceId')
  @HttpCode(200)
  @AuditedAction('ROLE_RESOURCE_ASSIGN', 'ROLE')
  @RoleDocs.assignResource()
  assignResource(
    @CurrentPrincipal() principal: Principal,
    @UuidParam() id: string,
    @UuidParam('resourceId') resourceId: string,
  ): Promise<RoleAssignmentResponseDto> {
    return this.roles.assignResource(principal, id, resourceId);
  }

  @Delete(':id/resources/:resourceId')
  @HttpCode(204)
  @AuditedAction('ROLE_RESOURCE_UNASSIGN', 'ROLE')
  @RoleDocs.unassignResource()
  unassignResource(
    @CurrentPrincipal() principal: Principal,
    @UuidParam() id: string,
    @UuidParam('resourceId') resourceId: string,
  ): Promise<void> {
    return this.roles.unassignResource(principal, id, resourceId);
  }
}
