import { forwardRef, Inject, Injectable } from '@nestjs/common';
import { Principal, ValidationError } from '@app/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { OrganizationSettingsDto, UpdateOrganizationSettingsDto } from './dto/organization-settings.dto';
import { DEFAULT_SETTINGS, OrganizationSettingsRepository, SettingsValues } from './organization-settings.repository';

const FIELDS = Object.keys(DEFAULT_SETTINGS) as Array<keyof SettingsValues>;

/** §10: the organization's sign-in policy. Changing it never re-checks stored passwords. */
@Injectable()
export class OrganizationSettingsService {
  constructor(
    private readonly repository: OrganizationSettingsRepository,
    private readonly txHost: TxHost,
    // Lazily: @app/audit decorates its controller with this library's access decorators.
    @Inject(forwardRef(() => AuditService)) private readonly audit: AuditService,
  ) {}

  get(principal: Principal): Promise<OrganizationSettingsDto> {
    return this.repository.find(principal.organizationId);
  }

  async update(principal: Principal, dto: UpdateOrganizationSettingsDto): Promise<OrganizationSettingsDto> {
    // Only what was sent: a DTO instance may carry the other fields as undefined.
    const given = FIELDS.filter((field) => dto[field] !== undefined);
    if (!given.length) {
      throw new ValidationError('Request validation failed', [{ field: 'body', message: `provide at least one of ${FIELDS.join(', ')}` }]);
    }
    const organizationId = principal.organizationId;
    return this.txHost.withTransaction(async () => {
      const current = await this.repository.find(organizationId);
      const changes = Object.fromEntries(given.map((field) => [field, dto[field]])) as Partial<SettingsValues>;
      const updated = await this.repository.update(organizationId, changes);
      await this.audit.record({
        eventType: 'ORGANIZATION_SETTINGS_UPDATE',
        targetType: 'ORGANIZATION',
        targetId: organizationId,
        details: { changedFields: given.filter((field) => current[field] !== updated[field]) },
      });
      return updated;
    });
  }
}
