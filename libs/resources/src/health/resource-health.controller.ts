import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ADMIN_ERRORS, ApiErrorResponses, Principal, toIsoUtc } from '@app/common';
import { CurrentPrincipal, Roles } from '@app/auth';
import { ResourceHealthEventPageDto, ResourceHealthQueryDto } from './dto/resource-health.dto';
import { ResourceHealthRepository } from './resource-health.repository';

@ApiTags('Resource health')
@ApiBearerAuth()
@Controller('resource-health')
export class ResourceHealthController {
  constructor(private readonly health: ResourceHealthRepository) {}

  @Get('events')
  @Roles('ORG_ADMIN')
  @ApiOperation({
    operationId: 'listResourceHealthEvents',
    summary: 'List resource health events, newest first',
    description:
      "Changes in the verification and reconcile state of the organization's resources (§14), newest first, paged. An event is written only when the state changes: VERIFY_OK / VERIFY_FAILED from verification, RECONCILE_OK / RECONCILE_FAILED from the engine's comparison with the provider, whose details list addresses on the firewall that EntryGuard does not know (staleCidrs). Requires ORG_ADMIN.",
  })
  @ApiOkResponse({ type: ResourceHealthEventPageDto })
  @ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR')
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ResourceHealthQueryDto): Promise<ResourceHealthEventPageDto> {
    const { rows, total } = await this.health.page(principal.organizationId, query.resourceId, query.page, query.size);
    return {
      content: rows.map((row) => ({
        id: row.id,
        resourceId: row.resourceId,
        resourceName: row.resourceName,
        eventType: row.eventType,
        message: row.message,
        details: row.details,
        createdAt: toIsoUtc(row.createdAt) as string,
      })),
      totalElements: total,
      totalPages: Math.ceil(total / query.size),
      number: query.page,
      size: query.size,
    };
  }
}
