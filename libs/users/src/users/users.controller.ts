import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Principal, UuidParam } from '@app/common';
import { CurrentPrincipal, Roles } from '@app/auth';
import { AuditedAction } from '@app/audit';
import { CreateUserDto, ResendInvitationResponseDto, ResetMfaResponseDto, UpdateUserDto, UserDto } from './dto/user.dto';
import { UserMfaService } from './user-mfa.service';
import {
  CreateUserDocs,
  DeleteUserDocs,
  GetUserDocs,
  ListUsersDocs,
  ResendInvitationDocs,
  ResetMfaDocs,
  UpdateUserDocs,
} from './users.openapi';
import { UsersService } from './users.service';

@ApiTags('Users')
@ApiBearerAuth()
@Roles('ORG_ADMIN')
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly userMfa: UserMfaService,
  ) {}

  @Post()
  @AuditedAction('USER_INVITE', 'USER')
  @CreateUserDocs()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateUserDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserDto> {
    const created = await this.users.invite(principal, dto);
    reply.header('Location', `/api/v1/users/${created.id}`);
    return created;
  }

  @Get()
  @ListUsersDocs()
  list(@CurrentPrincipal() principal: Principal): Promise<UserDto[]> {
    return this.users.list(principal);
  }

  @Get(':id')
  @GetUserDocs()
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<UserDto> {
    return this.users.get(principal, id);
  }

  @Patch(':id')
  @AuditedAction('USER_UPDATE', 'USER')
  @UpdateUserDocs()
  update(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: UpdateUserDto): Promise<UserDto> {
    return this.users.update(principal, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @AuditedAction('USER_DELETE', 'USER')
  @DeleteUserDocs()
  delete(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<void> {
    return this.users.delete(principal, id);
  }

  @Post(':id/resend-invitation')
  @HttpCode(200)
  @AuditedAction('USER_INVITE', 'USER')
  @ResendInvitationDocs()
  resendInvitation(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<ResendInvitationResponseDto> {
    return this.users.resendInvitation(principal, id);
  }

  @Post(':id/reset-mfa')
  @HttpCode(200)
  @AuditedAction('MFA_RESET', 'USER')
  @ResetMfaDocs()
  resetMfa(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<ResetMfaResponseDto> {
    return this.userMfa.reset(principal, id);
  }
}
