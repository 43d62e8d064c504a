import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsNotEmpty, IsString, IsUUID, MaxLength } from 'class-validator';
import { STATIC_TARGET_STATUSES } from '@app/access';

export const STATIC_RULE_STATUSES = ['PENDING', 'ACTIVE', 'PARTIAL', 'FAILED'] as const;

export class CreateStaticIpRuleDto {
  @ApiProperty({ maxLength: 255, example: 'Berlin office' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  label!: string;

  @ApiProperty({
    example: '203.0.113.0/24',
    description: 'An IPv4 or IPv6 address, or a network in CIDR form with no host bits set; at least /8 (IPv4) or /32 (IPv6)',
  })
  @IsString()
  @MaxLength(64)
  ipAddress!: string;

  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, description: 'The resources whose firewalls admit the address' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  resourceIds!: string[];
}

export class StaticIpRuleResourceDto {
  @ApiProperty({ format: 'uuid' }) resourceId!: string;
  @ApiProperty() resourceName!: string;
  @ApiProperty({ enum: STATIC_TARGET_STATUSES }) status!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) appliedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The provider's reason when FAILED" }) errorMessage!: string | null;
}

export class StaticIpRuleDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ example: '203.0.113.0/24', description: 'Normalized, always with its prefix' }) ipAddress!: string;
  @ApiProperty({ enum: STATIC_RULE_STATUSES, description: 'ACTIVE: applied everywhere; PARTIAL: some failed; FAILED: none applied' })
  status!: string;
  @ApiProperty({ type: String, nullable: true }) createdByEmail!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: [StaticIpRuleResourceDto] }) resources!: StaticIpRuleResourceDto[];
}
