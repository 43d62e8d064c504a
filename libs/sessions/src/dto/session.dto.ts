import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { RULE_STATUSES, SESSION_END_REASONS, SESSION_STATUSES } from '@app/access';

export class CreateSessionDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 168,
    description:
      'Whole hours. Default SESSION_DEFAULT_HOURS (capped); at most the smallest of SESSION_MAX_HOURS and your roles\u2019 maxSessionDurationHours',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(168)
  durationHours?: number;

  @ApiPropertyOptional({ example: '203.0.113.10', description: 'A single public or private IPv4 address; default: your address, if IPv4' })
  @IsOptional()
  @IsString()
  @MaxLength(15)
  ipv4Address?: string;

  @ApiPropertyOptional({ example: '2001:db8::10', description: 'A single IPv6 address; default: your address, if IPv6' })
  @IsOptional()
  @IsString()
  @MaxLength(45)
  ipv6Address?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'A subset of the resources you may reach; default all of them' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  resourceIds?: string[];
}

export class ExtendSessionDto {
  @ApiProperty({ minimum: 1, maximum: 168, description: 'Whole hours to add; the total from startedAt may not pass the cap' })
  @IsInt()
  @Min(1)
  @Max(168)
  additionalHours!: number;
}

export class AdminSessionQueryDto {
  @ApiPropertyOptional({ enum: SESSION_STATUSES })
  @IsOptional()
  @IsIn(SESSION_STATUSES)
  status?: (typeof SESSION_STATUSES)[number];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  userId?: string;
}

export class SessionResourceIpDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) resourceId!: string;
  @ApiProperty() resourceName!: string;
  @ApiProperty({ enum: [4, 6] }) ipVersion!: number;
  @ApiProperty() ipAddress!: string;
  @ApiProperty({ enum: RULE_STATUSES }) status!: string;
  @ApiProperty({ type: String, nullable: true }) providerRuleId!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) appliedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) removedAt!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The provider's reason when FAILED, or the last error of a removal being retried",
  })
  errorMessage!: string | null;
}

export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ type: String, nullable: true }) userName!: string | null;
  @ApiProperty() userEmail!: string;
  @ApiProperty({ type: String, nullable: true }) ipv4Address!: string | null;
  @ApiProperty({ type: String, nullable: true }) ipv6Address!: string | null;
  @ApiProperty({ enum: SESSION_STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) endedAt!: string | null;
  @ApiProperty({ type: String, enum: SESSION_END_REASONS, nullable: true }) endedReason!: string | null;
  @ApiProperty({ type: [SessionResourceIpDto] }) resourceIps!: SessionResourceIpDto[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class DetectIpDto {
  @ApiProperty({ example: '203.0.113.10' }) ip!: string;
  @ApiProperty({ enum: [4, 6] }) version!: number;
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
}
