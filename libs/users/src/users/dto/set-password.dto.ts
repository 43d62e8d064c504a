import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Length, MaxLength } from 'class-validator';

export class SetPasswordDto {
  @ApiProperty({ description: 'The token from the invitation link (`/set-password?token=...`)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  inviteToken!: string;

  @ApiProperty({
    minLength: 8,
    maxLength: 128,
    format: 'password',
    description: "Must also meet the organization's password policy (GET /organization/settings)",
  })
  @IsString()
  @Length(8, 128)
  password!: string;
}
