import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsOmittable } from '@app/common';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export const MAX_SESSION_HOURS = 168;

const NAME_DOC = { example: 'Developers', maxLength: 100, description: 'Unique in the organization, case-insensitively' } as const;
const DESCRIPTION_DOC = { type: String, nullable: true, maxLength: 1000, example: 'Engineers who may reach the bastions' } as const;
const HOURS_DOC = {
  type: Number,
  nullable: true,
  minimum: 1,
  maximum: MAX_SESSION_HOURS,
  example: 8,
  description: "Caps the sessions of this role's users; a user in several roles gets the smallest cap. null: no cap of its own.",
} as const;

export class CreateRoleDto {
  @ApiProperty(NAME_DOC)
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;

  @ApiPropertyOptional(DESCRIPTION_DOC)
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional(HOURS_DOC)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SESSION_HOURS)
  maxSessionDurationHours?: number | null;
}

/** Any of the three; null clears description or maxSessionDurationHours, never the name. */
export class UpdateRoleDto {
  @ApiPropertyOptional(NAME_DOC)
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ ...DESCRIPTION_DOC, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional({ ...HOURS_DOC, description: `${HOURS_DOC.description} null clears it.` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SESSION_HOURS)
  maxSessionDurationHours?: number | null;
}

export class RoleDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'Developers' }) name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: Number, nullable: true, minimum: 1, maximum: MAX_SESSION_HOURS }) maxSessionDurationHours!: number | null;
  @ApiProperty({ type: [String], format: 'uuid', description: 'Resources the role gives its users, oldest assignment first' })
  resourceIds!: string[];
  @ApiProperty({ type: [String], format: 'uuid', description: 'Users in the role, oldest assignment first' })
  userIds!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class RoleAssignmentResponseDto {
  @ApiProperty({ example: 'User assigned to role successfully' }) message!: string;
}
