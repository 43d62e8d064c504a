import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '@app/common';
import { HEALTH_EVENT_TYPES } from '../resource-health-event.entity';

export class ResourceHealthQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this resource's events" })
  @IsOptional()
  @IsUUID()
  resourceId?: string;
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
