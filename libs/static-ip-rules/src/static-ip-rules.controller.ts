import { Body, Controller, Delete, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { IdempotencyKeyHeader } from '@app/access';
import { AuditedAction } from '@app/audit';
import { CurrentPrincipal, Roles } from '@app/auth';
import { Principal, UuidParam } from '@app/common';
import { CreateStaticIpRuleDto, StaticIpRuleDto } from './dto/static-ip-rule.dto';
import { StaticIpRuleDocs } from './static-ip-rules.openapi';
import { StaticIpRulesService } from './static-ip-rules.service';

@ApiTags('Static IP rules')
@ApiBearerAuth()
@Roles('ORG_ADMIN')
@Controller('static-ip-rules')
export class StaticIpRulesController {
  constructor(private readonly rules: StaticIpRulesService) {}

  @Post()
  @AuditedAction('STATIC_IP_RULE_CREATE', 'STATIC_IP_RULE')
  @StaticIpRuleDocs.create()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateStaticIpRuleDto,
    @IdempotencyKeyHeader() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StaticIpRuleDto> {
    const created = await this.rules.create(principal, dto, idempotencyKey);
    reply.header('Location', `/api/v1/static-ip-rules/${created.id}`);
    return created;
  }

  @Get()
  @StaticIpRuleDocs.list()
  list(@CurrentPrincipal() principal: Principal): Promise<StaticIpRuleDto[]> {
    return this.rules.list(principal);
  }

  @Get(':id')
  @StaticIpRuleDocs.get()
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<StaticIpRuleDto> {
    return this.rules.get(principal, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @AuditedAction('STATIC_IP_RULE_DELETE', 'STATIC_IP_RULE')
  @StaticIpRuleDocs.delete()
  delete(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<void> {
    return this.rules.delete(principal, id);
  }
}
