import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsOmittable } from '@app/common';

const MIN_LENGTH_DOC = { minimum: 8, maximum: 128, example: 12, description: 'Shortest password allowed (8 to 128)' } as const;
const EXPIRATION_DOC = {
  type: Number,
  nullable: true,
  minimum: 1,
  maximum: 365,
  example: 90,
  description: 'Days after which a password must be changed at the next login; null: never',
} as const;

/** Any subset, at least one field; only passwordExpirationDays may be null. */
export class UpdateOrganizationSettingsDto {
  @ApiPropertyOptional({ description: 'Every user must set up MFA (TOTP) before using the API' })
  @IsOmittable()
  @IsBoolean()
  mfaRequired?: boolean;

  @ApiPropertyOptional(MIN_LENGTH_DOC)
  @IsOmittable()
  @IsInt()
  @Min(8)
  @Max(128)
  passwordMinLength?: number;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean()
  passwordRequireUppercase?: boolean;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean()
  passwordRequireLowercase?: boolean;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean()
  passwordRequireDigit?: boolean;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean()
  passwordRequireSpecialChar?: boolean;

  @ApiPropertyOptional(EXPIRATION_DOC)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  passwordExpirationDays?: number | null;
}

export class OrganizationSettingsDto {
  @ApiProperty({ example: false }) mfaRequired!: boolean;
  @ApiProperty(MIN_LENGTH_DOC) passwordMinLength!: number;
  @ApiProperty({ example: true }) passwordRequireUppercase!: boolean;
  @ApiProperty({ example: true }) passwordRequireLowercase!: boolean;
  @ApiProperty({ example: true }) passwordRequireDigit!: boolean;
  @ApiProperty({ example: false }) passwordRequireSpecialChar!: boolean;
  @ApiProperty(EXPIRATION_DOC) passwordExpirationDays!: number | null;
}
