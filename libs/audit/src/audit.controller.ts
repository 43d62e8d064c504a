import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ADMIN_ERRORS, ApiErrorResponses, Principal } from '@app/common';
import { CurrentPrincipal, RequiresScope, Roles } from '@app/auth';
import { AuditService } from './audit.service';
import { AuditLogPageDto, AuditLogQueryDto } from './dto/audit-log.dto';

@ApiTags('Audit logs')
@ApiBearerAuth()
@Controller('audit-logs')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Roles('ORG_ADMIN')
  @RequiresScope('audit:read')
  @ApiOperation({
    operationId: 'listAuditLogs',
    summary: 'List audit log entries, newest first',
    description:
      "The audit trail of the caller's organization, newest first, paged (page is zero-based; size defaults to 20, at most 100). Filters: eventType, actorEmail, resourceType, resourceId, result, and the inclusive from/to range. Refused mutations appear with result FAILURE and their error code; rows outlive the objects they mention. Requires ORG_ADMIN.",
  })
  @ApiOkResponse({ type: AuditLogPageDto })
  @ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR')
  list(@CurrentPrincipal() principal: Principal, @Query() query: AuditLogQueryDto): Promise<AuditLogPageDto> {
    return this.audit.list(principal.organizationId, query);
  }
}
