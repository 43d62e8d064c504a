import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Principal } from '@app/common';
import { AuditedAction } from '@app/audit';
import { CurrentPrincipal, Roles } from '../access/access.decorators';
import { OrganizationSettingsDto, UpdateOrganizationSettingsDto } from './dto/organization-settings.dto';
import { OrganizationSettingsDocs } from './organization-settings.openapi';
import { OrganizationSettingsService } from './organization-settings.service';

@ApiTags('Organization settings')
@ApiBearerAuth()
@Roles('ORG_ADMIN')
@Controller('organization/settings')
export class OrganizationSettingsController {
  constructor(private readonly settings: OrganizationSettingsService) {}

  @Get()
  @OrganizationSettingsDocs.get()
  get(@CurrentPrincipal() principal: Principal): Promise<OrganizationSettingsDto> {
    return this.settings.get(principal);
  }

  @Patch()
  @AuditedAction('ORGANIZATION_SETTINGS_UPDATE', 'ORGANIZATION')
  @OrganizationSettingsDocs.update()
  update(@CurrentPrincipal() principal: Principal, @Body() dto: UpdateOrganizationSettingsDto): Promise<OrganizationSettingsDto> {
    return this.settings.update(principal, dto);
  }
}
