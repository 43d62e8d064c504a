import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Principal, UuidParam } from '@app/common';
import { CurrentPrincipal, RequiresScope, Roles } from '@app/auth';
import { AuditedAction } from '@app/audit';
import { IdempotencyKeyHeader } from '@app/access';
import { AdminSessionQueryDto, CreateSessionDto, ExtendSessionDto, SessionDto } from './dto/session.dto';
import { SessionDocs } from './sessions.openapi';
import { SessionsService } from './sessions.service';

@ApiTags('Sessions')
@ApiBearerAuth()
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Post()
  @RequiresScope('sessions:write')
  @AuditedAction('SESSION_START', 'SESSION')
  @SessionDocs.start()
  async start(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateSessionDto,
    @IdempotencyKeyHeader() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionDto> {
    const created = await this.sessions.start(principal, dto, idempotencyKey);
    reply.header('Location', `/api/v1/sessions/${created.id}`);
    return created;
  }

  @Get()
  @RequiresScope('sessions:read')
  @SessionDocs.listOwn()
  listOwn(@CurrentPrincipal() principal: Principal): Promise<SessionDto[]> {
    return this.sessions.listOwn(principal);
  }

  @Get('admin')
  @Roles('ORG_ADMIN')
  @SessionDocs.listAll()
  listAll(@CurrentPrincipal() principal: Principal, @Query() query: AdminSessionQueryDto): Promise<SessionDto[]> {
    return this.sessions.listAll(principal, query);
  }

  @Post('admin/:id/stop')
  @HttpCode(200)
  @Roles('ORG_ADMIN')
  @AuditedAction('SESSION_ADMIN_STOP', 'SESSION')
  @SessionDocs.adminStop()
  adminStop(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<SessionDto> {
    return this.sessions.stop(principal, id, true);
  }

  @Get(':id')
  @RequiresScope('sessions:read')
  @SessionDocs.get()
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<SessionDto> {
    return this.sessions.get(principal, id);
  }

  @Post(':id/stop')
  @HttpCode(200)
  @RequiresScope('sessions:write')
  @AuditedAction('SESSION_STOP', 'SESSION')
  @SessionDocs.stop()
  stop(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<SessionDto> {
    return this.sessions.stop(principal, id, false);
  }

  @Post(':id/extend')
  @HttpCode(200)
  @RequiresScope('sessions:write')
  @AuditedAction('SESSION_EXTEND', 'SESSION')
  @SessionDocs.extend()
  extend(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: ExtendSessionDto): Promise<SessionDto> {
    return this.sessions.extend(principal, id, dto);
  }
}
