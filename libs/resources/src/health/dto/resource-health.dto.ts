import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { HEALTH_EVENT_TYPES } from '../resource-health-event.entity';

export class ResourceHealthQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this resource's events" })
  @IsOptional()
  @IsUUID()
  resourceId?: string;

  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Zero-based page number' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  page: number = 0;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  size: number = 20;
}

export class ResourceHealthEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) resourceId!: string;
  @ApiProperty() resourceName!: string;
  @ApiProperty({ enum: HEALTH_EVENT_TYPES }) eventType!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Why the check failed; null for OK events' }) message!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Reconcile: staleCidrs (addresses on the firewall that EntryGuard does not know), missing and stranded rule counts',
  })
  details!: Record<string, unknown> | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ResourceHealthEventPageDto {
  @ApiProperty({ type: [ResourceHealthEventDto] }) content!: ResourceHealthEventDto[];
  @ApiProperty() totalElements!: number;
  @ApiProperty() totalPages!: number;
  @ApiProperty({ description: 'Zero-based page number' }) number!: number;
  @ApiProperty() size!: number;
}
