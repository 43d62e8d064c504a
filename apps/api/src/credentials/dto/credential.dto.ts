import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { IsOmittable } from '@app/common';
import { CREDENTIAL_TYPE_BY_PROVIDER, PROVIDERS } from '@app/providers';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const CREDENTIAL_TYPES = Object.values(CREDENTIAL_TYPE_BY_PROVIDER);

const CREDENTIAL_DATA_DOC = {
  type: 'object',
  additionalProperties: true,
  description:
    'Per provider: AWS/ACCESS_KEY {accessKeyId, secretAccessKey, sessionToken?}; GCP/SERVICE_ACCOUNT the service-account JSON ' +
    '(type, project_id, private_key, client_email, ...); AZURE/SERVICE_PRINCIPAL {tenantId, clientId, clientSecret, subscriptionId}; ' +
    'APISIX/ADMIN_KEY {adminUrl, adminKey}. Write-only: never returned.',
  example: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: '<your secret access key>' },
  writeOnly: true,
} as const;

export class CreateCredentialDto {
  @ApiProperty({ example: 'AWS Production', maxLength: 200 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: PROVIDERS })
  @IsIn(PROVIDERS)
  provider!: (typeof PROVIDERS)[number];

  @ApiProperty({ enum: CREDENTIAL_TYPES })
  @IsIn(CREDENTIAL_TYPES)
  credentialType!: string;

  @ApiProperty(CREDENTIAL_DATA_DOC)
  @IsObject()
  credentialData!: Record<string, unknown>;
}

export class UpdateCredentialDto {
  @ApiPropertyOptional({ example: 'AWS Production (rotated)', maxLength: 200 })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ ...CREDENTIAL_DATA_DOC, description: `New keys, rotated in place. ${CREDENTIAL_DATA_DOC.description}` })
  @IsOmittable()
  @IsObject()
  credentialData?: Record<string, unknown>;

  @ApiPropertyOptional({
    description:
      "With credentialData: check the new keys (same AWS account), deactivate the old access key at AWS with the new keys (iam:UpdateAccessKey on the key's own IAM user), then store the new keys. Any failure changes nothing.",
  })
  @IsOmittable()
  @IsBoolean()
  revokePreviousKeys?: boolean;
}

export class DeleteCredentialQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description:
      "Deactivate the key at the provider before deleting (AWS: iam:UpdateAccessKey with Status=Inactive, called with the credential's own keys; they need that permission on their own IAM user). A refusal answers 400 PROVIDER_REVOCATION_FAILED and deletes nothing.",
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  revokeAtProvider?: 'true' | 'false';
}

export class MigrateResourcesDto {
  @ApiProperty({ format: 'uuid', description: 'A credential of the same organization and provider' })
  @IsUUID()
  targetCredentialId!: string;
}

export class MigrateResourcesResponseDto {
  @ApiProperty({ example: 3 }) movedResourceCount!: number;
  @ApiProperty({ format: 'uuid' }) targetCredentialId!: string;
}

export class CredentialDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'AWS Production' }) name!: string;
  @ApiProperty({ enum: PROVIDERS }) provider!: string;
  @ApiProperty({ enum: CREDENTIAL_TYPES }) credentialType!: string;
  @ApiProperty({ type: Boolean, nullable: true, description: 'null until verified' }) isValid!: boolean | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastVerifiedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) verificationError!: string | null;
  @ApiProperty({ description: 'Resources that use this credential', example: 0 }) resourceCount!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}
