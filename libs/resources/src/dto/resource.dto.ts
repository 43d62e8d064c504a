import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { IsOmittable } from '@app/common';
import { PROVIDERS, RESOURCE_TYPE_BY_PROVIDER } from '@app/providers';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const RESOURCE_TYPES = Object.values(RESOURCE_TYPE_BY_PROVIDER);
const CONFIG_DOC = {
  type: 'object',
  additionalProperties: true,
  description: 'AWS/GCP/AZURE: {protocol: tcp|udp|icmp|all, port} or {protocol, ports: []}; icmp and all take no port. APISIX: none.',
  example: { protocol: 'tcp', port: 22 },
} as const;

export class CreateResourceDto {
  @ApiProperty({ example: 'Bastion SSH', maxLength: 200 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  credentialId!: string;

  @ApiProperty({ enum: PROVIDERS })
  @IsIn(PROVIDERS)
  provider!: (typeof PROVIDERS)[number];

  @ApiProperty({ enum: RESOURCE_TYPES })
  @IsIn(RESOURCE_TYPES)
  resourceType!: string;

  @ApiProperty({ example: 'sg-0abc123def4567890', maxLength: 255 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  resourceIdentifier!: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'eu-west-1', description: 'Required for AWS' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  region?: string | null;

  @ApiPropertyOptional(CONFIG_DOC)
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;
}

/** provider and resourceType are absent on purpose: sending them is a 400. */
export class UpdateResourceDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ maxLength: 255 })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  resourceIdentifier?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Move the resource to another credential of the same provider' })
  @IsOmittable()
  @IsUUID()
  credentialId?: string;

  @ApiPropertyOptional({ type: String, nullable: true })
  @ValidateIf((_object, value) => value !== null && value !== undefined)
  @IsString()
  @MaxLength(64)
  region?: string | null;

  @ApiPropertyOptional({ description: 'Enable or disable the resource by hand' })
  @IsOmittable()
  @IsBoolean()
  isActive?: boolean;

  @ApiPropertyOptional(CONFIG_DOC)
  @IsOmittable()
  @IsObject()
  config?: Record<string, unknown>;
}

export class ListResourcesQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only resources that use this credential' })
  @IsOptional()
  @IsUUID()
  credentialId?: string;

  @ApiPropertyOptional({ enum: PROVIDERS })
  @IsOptional()
  @IsIn(PROVIDERS)
  provider?: string;
}

export class ResourceDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid' }) credentialId!: string;
  @ApiProperty() credentialName!: string;
  @ApiProperty({ enum: PROVIDERS }) provider!: string;
  @ApiProperty({ enum: RESOURCE_TYPES }) resourceType!: string;
  @ApiProperty() resourceIdentifier!: string;
  @ApiProperty({ type: String, nullable: true }) region!: string | null;
  @ApiProperty(CONFIG_DOC) config!: Record<string, unknown>;
  @ApiProperty() isActive!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastVerifiedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) verificationError!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}
