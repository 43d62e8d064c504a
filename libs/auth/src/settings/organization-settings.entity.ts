import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { Organization } from '../users/organization.entity';

/** An organization's sign-in policy (§10, §11): one row per organization. */
@Entity({ name: 'organization_settings' })
@Check('ck_settings_password_min_length', 'password_min_length BETWEEN 8 AND 128')
@Check('ck_settings_password_expiration', 'password_expiration_days BETWEEN 1 AND 365')
export class OrganizationSettings {
  @ForeignKey(() => Organization, { name: 'organization_settings_organization_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'mfa_required', type: 'boolean', default: false })
  mfaRequired!: boolean;

  @Column({ name: 'password_min_length', type: 'integer', default: 8 })
  passwordMinLength!: number;

  @Column({ name: 'password_require_uppercase', type: 'boolean', default: true })
  passwordRequireUppercase!: boolean;

  @Column({ name: 'password_require_lowercase', type: 'boolean', default: true })
  passwordRequireLowercase!: boolean;

  @Column({ name: 'password_require_digit', type: 'boolean', default: true })
  passwordRequireDigit!: boolean;

  @Column({ name: 'password_require_special_char', type: 'boolean', default: false })
  passwordRequireSpecialChar!: boolean;

  @Column({ name: 'password_expiration_days', type: 'integer', nullable: true })
  passwordExpirationDays!: number | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
