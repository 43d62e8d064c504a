import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { API_KEY_SCOPES, ApiKeyScope, IsApiDateTime } from '@app/common';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

const SCOPES_DOC = {
  enum: API_KEY_SCOPES,
  isArray: true,
  example: ['sessions:read', 'sessions:write'],
  description: 'What the key may do: sessions:read, sessions:write (does not include sessions:read), resources:read, audit:read',
} as const;

export class CreateApiKeyDto {
  @ApiProperty({ example: 'CI pipeline', maxLength: 255 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  name!: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 1000, example: 'Opens the bastion for deploy jobs' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiProperty({ ...SCOPES_DOC, minItems: 1 })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(API_KEY_SCOPES.length)
  @ArrayUnique()
  @IsIn(API_KEY_SCOPES, { each: true, message: `each value in scopes must be one of ${API_KEY_SCOPES.join(', ')}` })
  scopes!: ApiKeyScope[];

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2027-01-31T00:00:00Z',
    description: 'When the key stops working; in the future. A date alone means 00:00 UTC that day. Absent or null: never.',
  })
  @IsOptional()
  @IsApiDateTime()
  expiresAt?: string | null;
}

/** The answer to POST /api-keys: the only one that ever holds the key itself. */
export class CreatedApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'CI pipeline' }) name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ example: 'egk_live_4fZk2Q', description: 'The first 15 characters of the key, shown in lists and audit rows' })
  keyPrefix!: string;
  @ApiProperty({
    example: 'egk_live_4fZk2QpX0aLr8Jm1Vt6nYc3eHs9uWb5dKg7iRo2zFq',
    description: 'The key. Shown in this answer only: store it now, it cannot be read again.',
  })
  plainTextKey!: string;
  @ApiProperty(SCOPES_DOC) scopes!: ApiKeyScope[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'CI pipeline' }) name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ example: 'egk_live_4fZk2Q' }) keyPrefix!: string;
  @ApiProperty(SCOPES_DOC) scopes!: ApiKeyScope[];
  @ApiProperty() isRevoked!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Updated at most once a minute' })
  lastUsedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7', description: 'Updated at most once a minute' })
  lastUsedIp!: string | null;
  @ApiProperty({ example: 'admin@acme.example' }) createdByEmail!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}
