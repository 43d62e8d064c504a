import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import type { MfaChallengeResponseDto } from '../mfa/dto/mfa.dto';
import { MeetsDefaultPasswordPolicy } from '../passwords/password.decorators';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const lowerTrim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class RegisterDto {
  @ApiProperty({ example: 'Acme Corp', maxLength: 200 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  organizationName!: string;

  @ApiProperty({ example: 'admin@acme.example', format: 'email' })
  @Transform(lowerTrim)
  @IsString()
  @IsEmail()
  @MaxLength(320)
  email!: string;

  @ApiProperty({
    minLength: 8,
    maxLength: 128,
    format: 'password',
    description: 'The default password policy: 8 to 128 characters, with an upper-case letter, a lower-case letter and a digit.',
  })
  @IsString()
  @MeetsDefaultPasswordPolicy()
  password!: string;

  @ApiPropertyOptional({ example: 'Ada Admin', maxLength: 200 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(200)
  name?: string;
}

export class LoginDto {
  @ApiProperty({ example: 'acme-corp' })
  @Transform(lowerTrim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  organizationSlug!: string;

  @ApiProperty({ example: 'admin@acme.example', format: 'email' })
  @Transform(lowerTrim)
  @IsString()
  @IsEmail()
  @MaxLength(320)
  email!: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  password!: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refreshToken!: string;
}

export class LogoutDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  refreshToken?: string;
}

export class AuthUserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'email' }) email!: string;
  @ApiProperty({ type: String, nullable: true }) name!: string | null;
  @ApiProperty() isOrgAdmin!: boolean;
  @ApiProperty({ enum: ['ORG_ADMIN', 'USER'] }) role!: string;
  @ApiProperty({ format: 'uuid' }) organizationId!: string;
  @ApiProperty() organizationName!: string;
  @ApiProperty() organizationSlug!: string;
  @ApiProperty({ example: 'FREE' }) subscriptionTier!: string;
}

export class AuthResponseDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty() refreshToken!: string;
  @ApiProperty({ description: 'Access-token lifetime in seconds', example: 900 }) expiresIn!: number;
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty({ type: AuthUserDto }) user!: AuthUserDto;
  @ApiPropertyOptional({
    enum: [true],
    description:
      'Present (true) only when the organization requires MFA and the user has not set it up: until POST /mfa/setup/confirm, this access token reaches only /mfa/setup, /mfa/setup/confirm, /auth/me and /auth/logout (403 elsewhere)',
  })
  mfaSetupRequired?: true;
}

/** Login's answer when the password is older than the organization's passwordExpirationDays (§10). */
export class PasswordExpiredResponseDto {
  @ApiProperty({ enum: [true] }) passwordExpired!: true;
  @ApiProperty({ description: 'For POST /auth/change-expired-password: valid 10 minutes, single use' }) passwordChangeToken!: string;
  @ApiProperty({ type: String, nullable: true, enum: [null], description: 'Always null: no tokens until the password is changed' })
  accessToken!: null;
  @ApiProperty({ type: String, nullable: true, enum: [null], description: 'Always null' }) refreshToken!: null;
  @ApiProperty({ type: 'object', additionalProperties: false, nullable: true, enum: [null], description: 'Always null' }) user!: null;
}

/** Login's answers (§10, §11): signed in, an expired password, or the MFA challenge. */
export type LoginResponse = AuthResponseDto | PasswordExpiredResponseDto | MfaChallengeResponseDto;

export class EmptyResponseDto {}
