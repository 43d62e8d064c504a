import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

const CODE_DOC = {
  example: '492039',
  maxLength: 32,
} as const;

export class MfaSetupResponseDto {
  @ApiProperty({
    description: 'The new TOTP secret, Base32 (for typing into an authenticator app)',
    example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  })
  secret!: string;

  @ApiProperty({
    description: 'otpauth://totp/EntryGuard:<email>?secret=...&issuer=EntryGuard: what the QR code holds',
    example: 'otpauth://totp/EntryGuard:ada%40acme.example?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=EntryGuard',
  })
  otpauthUrl!: string;

  @ApiProperty({ description: "The QR code of otpauthUrl: a PNG's bytes in plain base64, no data: prefix", format: 'byte' })
  qrCodeBase64!: string;
}

export class ConfirmMfaDto {
  @ApiProperty({ description: 'The secret POST /mfa/setup answered (the pending one, valid 10 minutes)', maxLength: 64 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  secret!: string;

  @ApiProperty({ ...CODE_DOC, description: 'The current 6-digit code the authenticator app shows for that secret' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  code!: string;
}

export class DisableMfaDto {
  @ApiProperty({ ...CODE_DOC, description: 'A current 6-digit TOTP code, or an unused recovery code (case-insensitive)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  code!: string;
}

export class RegenerateRecoveryCodesDto {
  @ApiProperty({ ...CODE_DOC, description: 'A current 6-digit TOTP code (a recovery code does not count here)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  code!: string;
}

export class RecoveryCodesResponseDto {
  @ApiProperty({
    type: [String],
    minItems: 8,
    maxItems: 8,
    example: ['k7m2p9xq', '4hd8w2ne', 'q9z3v6tb', 'm2c8r5ya', 'x7f4j1ks', 'p3n6b9wd', 'e5t2h8gu', 'z1q7c4lv'],
    description: '8 single-use codes of 8 lower-case letters and digits, shown this once; each signs in once in place of a TOTP code',
  })
  recoveryCodes!: string[];
}

export class VerifyMfaDto {
  @ApiProperty({ description: 'The mfaChallengeToken the login answered (5 minutes, single use)', maxLength: 100 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  mfaChallengeToken!: string;

  @ApiProperty({ ...CODE_DOC, description: 'A current 6-digit TOTP code, or an unused recovery code (case-insensitive)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  code!: string;
}

/** Login's answer for a user with MFA on (§11): no tokens until POST /auth/verify-mfa. */
export class MfaChallengeResponseDto {
  @ApiProperty({ enum: [true] }) mfaRequired!: true;
  @ApiProperty({ description: 'For POST /auth/verify-mfa: valid 5 minutes, single use; five wrong codes end it' })
  mfaChallengeToken!: string;
  @ApiProperty({ enum: [300], description: 'Seconds the challenge lives' }) mfaChallengeExpiresIn!: number;
  @ApiProperty({ type: String, nullable: true, enum: [null], description: 'Always null: no tokens until the code is verified' })
  accessToken!: null;
  @ApiProperty({ type: String, nullable: true, enum: [null], description: 'Always null' }) refreshToken!: null;
  @ApiProperty({ type: 'object', additionalProperties: false, nullable: true, enum: [null], description: 'Always null' }) user!: null;
}
