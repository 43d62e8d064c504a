import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsOmittable } from '@app/common';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** Emails are compared case-insensitively by storing them lower-case (§9). */
const lowerTrim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class CreateUserDto {
  @ApiProperty({ example: 'grace@acme.example', format: 'email', maxLength: 320 })
  @Transform(lowerTrim)
  @IsString()
  @IsEmail()
  @MaxLength(320)
  email!: string;

  @ApiPropertyOptional({ example: 'Grace Hopper', maxLength: 200 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'Invite as ORG_ADMIN instead of USER (default false)' })
  @IsOptional()
  @IsBoolean()
  isOrgAdmin?: boolean;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'Grace B. Hopper', maxLength: 200 })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'true: ORG_ADMIN; false: USER' })
  @IsOmittable()
  @IsBoolean()
  isOrgAdmin?: boolean;

  @ApiPropertyOptional({ description: 'false signs the user out everywhere and keeps the user' })
  @IsOmittable()
  @IsBoolean()
  isActive?: boolean;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'email', example: 'grace@acme.example' }) email!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Grace Hopper' }) name!: string | null;
  @ApiProperty() isOrgAdmin!: boolean;
  @ApiProperty() isActive!: boolean;
  @ApiProperty({ description: 'Invited, and no password set yet' }) invitationPending!: boolean;
  @ApiProperty() mfaEnabled!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastLoginAt!: string | null;
  @ApiProperty({ type: [String], example: ['Developers'] }) roleNames!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class ResendInvitationResponseDto {
  @ApiProperty({ example: 'Invitation resent successfully' }) message!: string;
}

export class ResetMfaResponseDto {
  @ApiProperty({ example: 'MFA reset successfully' }) message!: string;
}
