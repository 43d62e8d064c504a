import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { NewPasswordField } from '../password.decorators';

const lowerTrim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/** One-time tokens are 43 base64url characters; anything longer is refused before any lookup. */
const TOKEN_MAX_LENGTH = 100;

export class ChangePasswordDto {
  @ApiProperty({ format: 'password' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  currentPassword!: string;

  @NewPasswordField("Must meet the organization's password policy and differ from the current password.")
  newPassword!: string;

  @ApiPropertyOptional({
    description:
      "The caller's own refresh token: its session stays signed in, while every other refresh token of the user dies. Without it, every refresh token of the user dies.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  refreshToken?: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ example: 'acme-corp' })
  @Transform(lowerTrim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  organizationSlug!: string;

  @ApiProperty({ example: 'ada@acme.example', format: 'email' })
  @Transform(lowerTrim)
  @IsString()
  @IsEmail()
  @MaxLength(320)
  email!: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the reset link (valid 1 hour, single use)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(TOKEN_MAX_LENGTH)
  token!: string;

  @NewPasswordField("Must meet the organization's password policy.")
  password!: string;
}

export class ChangeExpiredPasswordDto {
  @ApiProperty({ description: 'The passwordChangeToken a login with an expired password answered (valid 10 minutes, single use)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(TOKEN_MAX_LENGTH)
  passwordChangeToken!: string;

  @NewPasswordField("Must meet the organization's password policy and differ from the expired password.")
  newPassword!: string;
}
