import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { NewPasswordField } from '@app/auth';

export class SetPasswordDto {
  @ApiProperty({ description: 'The token from the invitation link (`/set-password?token=...`)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  inviteToken!: string;

  @NewPasswordField("8 to 128 characters, meeting the organization's password policy (GET /organization/settings)")
  password!: string;
}
