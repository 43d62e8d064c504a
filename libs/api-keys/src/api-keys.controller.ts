import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Principal, UuidParam } from '@app/common';
import { CurrentPrincipal, Roles } from '@app/auth';
import { AuditedAction } from '@app/audit';
import { ApiKeyDocs } from './api-keys.openapi';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';

/** No route here names a scope: API keys cannot reach them (403), whoever created the key. */
@ApiTags('API keys')
@ApiBearerAuth()
@Roles('ORG_ADMIN')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @AuditedAction('API_KEY_CREATE', 'API_KEY')
  @ApiKeyDocs.create()
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.apiKeys.create(principal, dto);
  }

  @Get()
  @ApiKeyDocs.list()
  list(@CurrentPrincipal() principal: Principal): Promise<ApiKeyDto[]> {
    return this.apiKeys.list(principal);
  }

  @Delete(':id')
  @HttpCode(204)
  @AuditedAction('API_KEY_REVOKE', 'API_KEY')
  @ApiKeyDocs.revoke()
  revoke(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<void> {
    return this.apiKeys.revoke(principal, id);
  }
}
