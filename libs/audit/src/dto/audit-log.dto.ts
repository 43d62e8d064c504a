import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsUUID } from 'class-validator';
import { IsApiDateTime, PageQueryDto } from '@app/common';
import { AUDIT_EVENT_TYPES, AUDIT_RESULTS, AUDIT_TARGET_TYPES } from '../audit-event';

export class AuditLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: AUDIT_EVENT_TYPES })
  @IsOptional()
  @IsIn(AUDIT_EVENT_TYPES)
  eventType?: string;

  @ApiPropertyOptional({ format: 'email' })
  @IsOptional()
  @IsEmail()
  actorEmail?: string;

  @ApiPropertyOptional({ enum: AUDIT_TARGET_TYPES })
  @IsOptional()
  @IsIn(AUDIT_TARGET_TYPES)
  resourceType?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  resourceId?: string;

  @ApiPropertyOptional({ enum: AUDIT_RESULTS })
  @IsOptional()
  @IsIn(AUDIT_RESULTS)
  result?: string;

  @ApiPropertyOptional({
    description: 'Inclusive lower bound: YYYY-MM-DD (UTC) or YYYY-MM-DDTHH:MM:SS[.fff] with Z or ±HH:MM',
    example: '2024-01-01T00:00:00Z',
  })
  @IsOptional()
  @IsApiDateTime()
  from?: string;

  @ApiPropertyOptional({
    description: 'Inclusive upper bound, at the precision written: a date-only value covers that whole day (UTC)',
    example: '2024-01-31',
  })
  @IsOptional()
  @IsApiDateTime()
  to?: string;
}

export class AuditLogDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: AUDIT_EVENT_TYPES }) eventType!: string;
  @ApiProperty({ type: String, nullable: true }) actorEmail!: string | null;
  @ApiProperty({ example: 'USER' }) actorType!: string;
  @ApiProperty({ type: String, nullable: true, enum: AUDIT_TARGET_TYPES }) resourceType!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) resourceId!: string | null;
  @ApiProperty({ type: String, nullable: true }) resourceName!: string | null;
  @ApiProperty({ enum: AUDIT_RESULTS }) result!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The error code of a FAILURE' }) errorCode!: string | null;
  @ApiProperty({ type: String, nullable: true }) ipAddress!: string | null;
  @ApiProperty({ type: String, nullable: true }) userAgent!: string | null;
  @ApiProperty({ type: String, nullable: true }) requestId!: string | null;
  @ApiProperty({ type: String, nullable: true }) errorMessage!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Names, ids and changed field names; never secrets' })
  details!: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true }) organizationName!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class AuditLogPageDto {
  @ApiProperty({ type: [AuditLogDto] }) content!: AuditLogDto[];
  @ApiProperty() totalElements!: number;
  @ApiProperty() totalPages!: number;
  @ApiProperty({ description: 'Zero-based page number' }) number!: number;
  @ApiProperty() size!: number;
}
