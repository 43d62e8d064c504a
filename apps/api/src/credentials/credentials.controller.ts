import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ADMIN_ERRORS, ApiErrorResponses, BODY_ERRORS, Principal, UuidParam } from '@app/common';
import { CurrentPrincipal, Roles } from '@app/auth';
import { AuditedAction } from '@app/audit';
import { CredentialsService } from './credentials.service';
import {
  CreateCredentialDto,
  CredentialDto,
  DeleteCredentialQueryDto,
  MigrateResourcesDto,
  MigrateResourcesResponseDto,
  UpdateCredentialDto,
} from './dto/credential.dto';

@ApiTags('Credentials')
@ApiBearerAuth()
@Roles('ORG_ADMIN')
@Controller('credentials')
export class CredentialsController {
  constructor(private readonly credentials: CredentialsService) {}

  @Post()
  @AuditedAction('CREDENTIAL_CREATE', 'CREDENTIAL')
  @ApiOperation({
    operationId: 'createCredential',
    summary: 'Store a cloud credential (encrypted); verification runs in the background',
    description:
      'Stores a cloud credential for the organization, encrypted at rest. provider/credentialType is one of AWS/ACCESS_KEY, GCP/SERVICE_ACCOUNT, AZURE/SERVICE_PRINCIPAL or APISIX/ADMIN_KEY, with the matching credentialData. Answers 201 with a Location header and never returns the secret data. Verification with the provider runs in the background; isValid stays null until then. Requires ORG_ADMIN.',
  })
  @ApiCreatedResponse({
    type: CredentialDto,
    headers: { Location: { description: 'URL of the new credential', schema: { type: 'string' } } },
  })
  @ApiErrorResponses(...ADMIN_ERRORS, ...BODY_ERRORS, 'CREDENTIAL_NAME_TAKEN')
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateCredentialDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CredentialDto> {
    const created = await this.credentials.create(principal, dto);
    reply.header('Location', `/api/v1/credentials/${created.id}`);
    return created;
  }

  @Get()
  @ApiOperation({
    operationId: 'listCredentials',
    summary: 'List credentials, newest first',
    description:
      'Every credential of the organization, newest first, with its verification state and resourceCount, never its secret data. Requires ORG_ADMIN.',
  })
  @ApiOkResponse({ type: [CredentialDto] })
  @ApiErrorResponses(...ADMIN_ERRORS)
  list(@CurrentPrincipal() principal: Principal): Promise<CredentialDto[]> {
    return this.credentials.list(principal);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getCredential',
    summary: 'Get one credential (never its secret data)',
    description:
      'One credential of the organization, never its secret data. A missing id, or one of another organization, is 404 CREDENTIAL_NOT_FOUND. Requires ORG_ADMIN.',
  })
  @ApiOkResponse({ type: CredentialDto })
  @ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'CREDENTIAL_NOT_FOUND')
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<CredentialDto> {
    return this.credentials.get(principal, id);
  }

  @Patch(':id')
  @AuditedAction('CREDENTIAL_UPDATE', 'CREDENTIAL')
  @ApiOperation({
    operationId: 'updateCredential',
    summary: 'Rename, or rotate keys in place (resources keep working)',
    description:
      "Renames the credential, or rotates its keys in place: credentialData is re-encrypted, isValid goes back to null and verification runs again, and resources keep using the credential with no re-linking. provider and credentialType cannot change. Requires ORG_ADMIN. With revokePreviousKeys: true (a compromised key, in one call), the new keys are checked first (sts:GetCallerIdentity, same AWS account as the old key), then the old access key is deactivated with the new keys (iam:UpdateAccessKey on the key's own IAM user), then the new keys are stored; a failure answers 400 VERIFICATION_FAILED (new keys) or PROVIDER_REVOCATION_FAILED (revocation) and changes nothing.",
  })
  @ApiOkResponse({ type: CredentialDto })
  @ApiErrorResponses(
    ...ADMIN_ERRORS,
    ...BODY_ERRORS,
    'CREDENTIAL_NOT_FOUND',
    'CREDENTIAL_NAME_TAKEN',
    'VERIFICATION_FAILED',
    'PROVIDER_REVOCATION_FAILED',
  )
  update(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: UpdateCredentialDto): Promise<CredentialDto> {
    return this.credentials.update(principal, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @AuditedAction('CREDENTIAL_DELETE', 'CREDENTIAL')
  @ApiOperation({
    operationId: 'deleteCredential',
    summary: 'Permanently delete a credential that no resource uses',
    description:
      "Permanently deletes a cloud credential from your organization. This operation cannot be undone. A credential still linked to resources is refused with 400 CREDENTIAL_IN_USE: first delete those resources or move them to another credential (PATCH /api/v1/resources/{id} with credentialId, or POST /api/v1/credentials/{id}/migrate-resources). Historical audit logs referencing the credential are preserved. Requires ORG_ADMIN. With revokeAtProvider=true, the key is first deactivated at the provider (AWS: iam:UpdateAccessKey with Status=Inactive, called with the credential's own keys, which need iam:UpdateAccessKey on their own IAM user); if the provider refuses or cannot be reached, 400 PROVIDER_REVOCATION_FAILED and nothing is deleted. APISIX, GCP and Azure keys cannot be revoked this way (400 VALIDATION_ERROR).",
  })
  @ApiNoContentResponse({ description: 'Deleted; no body' })
  @ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'CREDENTIAL_IN_USE', 'CREDENTIAL_NOT_FOUND', 'PROVIDER_REVOCATION_FAILED')
  delete(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Query() query: DeleteCredentialQueryDto): Promise<void> {
    return this.credentials.delete(principal, id, query);
  }

  @Post(':id/verify')
  @HttpCode(200)
  @AuditedAction('CREDENTIAL_VERIFY', 'CREDENTIAL')
  @ApiOperation({
    operationId: 'verifyCredential',
    summary: 'Verify the credential with its provider now',
    description:
      'Verifies the credential with its provider now (AWS: sts:GetCallerIdentity) and answers the credential with the updated isValid, lastVerifiedAt and verificationError. Requires ORG_ADMIN.',
  })
  @ApiOkResponse({ type: CredentialDto })
  @ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'CREDENTIAL_NOT_FOUND')
  verify(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<CredentialDto> {
    return this.credentials.verify(principal, id);
  }

  @Post(':id/migrate-resources')
  @HttpCode(200)
  @AuditedAction('CREDENTIAL_RESOURCES_MIGRATE', 'CREDENTIAL')
  @ApiOperation({
    operationId: 'migrateCredentialResources',
    summary: 'Move every resource of this credential to another one, atomically',
    description:
      'Moves every resource of this credential to another credential of the same organization and provider, in one transaction, and answers how many moved. Requires ORG_ADMIN.',
  })
  @ApiOkResponse({ type: MigrateResourcesResponseDto })
  @ApiErrorResponses(...ADMIN_ERRORS, ...BODY_ERRORS, 'CREDENTIAL_NOT_FOUND')
  migrateResources(
    @CurrentPrincipal() principal: Principal,
    @UuidParam() id: string,
    @Body() dto: MigrateResourcesDto,
  ): Promise<MigrateResourcesResponseDto> {
    return this.credentials.migrateResources(principal, id, dto);
  }
}
