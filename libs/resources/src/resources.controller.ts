import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ADMIN_ERRORS, ApiErrorResponses, BODY_ERRORS, Principal, UuidParam } from '@app/common';
import { CurrentPrincipal, RequiresScope, Roles } from '@app/auth';
import { AuditedAction } from '@app/audit';
import { CreateResourceDto, ListResourcesQueryDto, ResourceDto, UpdateResourceDto } from './dto/resource.dto';
import { ResourcesService } from './resources.service';

@ApiTags('Resources')
@ApiBearerAuth()
@Roles('ORG_ADMIN')
@Controller('resources')
export class ResourcesController {
  constructor(private readonly resources: ResourcesService) {}

  @Post()
  @AuditedAction('RESOURCE_CREATE', 'RESOURCE')
  @ApiOperation({
    operationId: 'createResource',
    summary: 'Register a firewall; verification runs in the background',
    description:
      'Registers a firewall resource on a credential of the same provider: AWS/SECURITY_GROUP (with region and config), GCP/FIREWALL_RULE, AZURE/NSG or APISIX/ROUTE. A missing credentialId is 404 CREDENTIAL_NOT_FOUND; the same provider, identifier and region twice is 409 RESOURCE_ALREADY_EXISTS. Verification runs in the background. Requires ORG_ADMIN.',
  })
  @ApiCreatedResponse({ type: ResourceDto, headers: { Location: { description: 'URL of the new resource', schema: { type: 'string' } } } })
  @ApiErrorResponses(...ADMIN_ERRORS, ...BODY_ERRORS, 'CREDENTIAL_NOT_FOUND', 'RESOURCE_ALREADY_EXISTS')
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateResourceDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ResourceDto> {
    const created = await this.resources.create(principal, dto);
    reply.header('Location', `/api/v1/resources/${created.id}`);
    return created;
  }

  @Get()
  @RequiresScope('resources:read')
  @ApiOperation({
    operationId: 'listResources',
    summary: 'List resources, newest first; filter by credentialId or provider',
    description:
      'Every resource of the organization, newest first. Filter by credentialId (the resources a credential still has, before deleting it) or by provider. Requires ORG_ADMIN.',
  })
  @ApiOkResponse({ type: [ResourceDto] })
  @ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR')
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListResourcesQueryDto): Promise<ResourceDto[]> {
    return this.resources.list(principal, query);
  }

  @Get(':id')
  @RequiresScope('resources:read')
  @ApiOperation({
    operationId: 'getResource',
    summary: 'Get one resource',
    description:
      'One resource of the organization. A missing id, or one of another organization, is 404 RESOURCE_NOT_FOUND. Requires ORG_ADMIN.',
  })
  @ApiOkResponse({ type: ResourceDto })
  @ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'RESOURCE_NOT_FOUND')
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<ResourceDto> {
    return this.resources.get(principal, id);
  }

  @Patch(':id')
  @AuditedAction('RESOURCE_UPDATE', 'RESOURCE')
  @ApiOperation({
    operationId: 'updateResource',
    summary: 'Change a resource, or move it to another credential',
    description:
      'Changes name, resourceIdentifier, region, isActive or config, or moves the resource to another credential of the same organization and provider with credentialId. provider and resourceType cannot change. Requires ORG_ADMIN.',
  })
  @ApiOkResponse({ type: ResourceDto })
  @ApiErrorResponses(...ADMIN_ERRORS, ...BODY_ERRORS, 'RESOURCE_NOT_FOUND', 'CREDENTIAL_NOT_FOUND', 'RESOURCE_ALREADY_EXISTS')
  update(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: UpdateResourceDto): Promise<ResourceDto> {
    return this.resources.update(principal, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @AuditedAction('RESOURCE_DELETE', 'RESOURCE')
  @ApiOperation({
    operationId: 'deleteResource',
    summary: 'Delete a resource',
    description: 'Deletes a resource; 204 with no body. Requires ORG_ADMIN.',
  })
  @ApiNoContentResponse({ description: 'Deleted; no body' })
  @ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'RESOURCE_NOT_FOUND')
  delete(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<void> {
    return this.resources.delete(principal, id);
  }

  @Post(':id/verify')
  @HttpCode(200)
  @AuditedAction('RESOURCE_VERIFY', 'RESOURCE')
  @ApiOperation({
    operationId: 'verifyResource',
    summary: 'Check the resource through its provider now',
    description:
      'Checks the resource through its provider with its credential (AWS: DescribeSecurityGroups on that group, in that region). Success: 200 with isActive true. Failure: the result is saved (isActive false, lastVerifiedAt, verificationError), then 400 VERIFICATION_FAILED. Requires ORG_ADMIN.',
  })
  @ApiOkResponse({ type: ResourceDto })
  @ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'RESOURCE_NOT_FOUND', 'VERIFICATION_FAILED')
  verify(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<ResourceDto> {
    return this.resources.verify(principal, id);
  }
}
