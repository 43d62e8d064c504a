import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import { TxHost } from '@app/database';
import { OrganizationSettings } from './organization-settings.entity';

export type SettingsValues = Omit<OrganizationSettings, 'organizationId' | 'updatedAt'>;

/** §10's defaults, for an organization whose row does not exist yet. */
export const DEFAULT_SETTINGS: Readonly<SettingsValues> = Object.freeze({
  mfaRequired: false,
  passwordMinLength: 8,
  passwordRequireUppercase: true,
  passwordRequireLowercase: true,
  passwordRequireDigit: true,
  passwordRequireSpecialChar: false,
  passwordExpirationDays: null,
});

const VALUE_KEYS = Object.keys(DEFAULT_SETTINGS) as Array<keyof SettingsValues>;

/** The one owner of organization_settings. A missing row means the defaults. */
@Injectable()
export class OrganizationSettingsRepository {
  constructor(private readonly txHost: TxHost) {}

  private get settings(): Repository<OrganizationSettings> {
    return this.txHost.tx.getRepository(OrganizationSettings);
  }

  async find(organizationId: string): Promise<SettingsValues> {
    const row = await this.settings.findOne({ where: { organizationId } });
    return row ? pick(row) : { ...DEFAULT_SETTINGS };
  }

  /** Creates the row on first change; returns every value after the change. */
  async update(organizationId: string, changes: Partial<SettingsValues>): Promise<SettingsValues> {
    await this.settings
      .createQueryBuilder()
      .insert()
      .values({ organizationId, ...DEFAULT_SETTINGS, ...changes })
      .orUpdate([...VALUE_KEYS.filter((key) => key in changes).map(columnOf), 'updated_at'], ['organization_id'])
      .updateEntity(false)
      .execute();
    return this.find(organizationId);
  }
}

function pick(row: OrganizationSettings): SettingsValues {
  return Object.fromEntries(VALUE_KEYS.map((key) => [key, row[key]])) as unknown as SettingsValues;
}

function columnOf(key: keyof SettingsValues): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
