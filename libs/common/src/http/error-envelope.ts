import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES, ErrorCode } from '../errors/error-code';
import { DomainError, FieldError } from '../errors/domain-error';
import { toIsoUtc } from './iso-time';

export class FieldErrorDto implements FieldError {
  @ApiProperty({ example: 'credentialData.secretAccessKey' })
  field!: string;

  @ApiProperty({ example: 'secretAccessKey should not be empty' })
  message!: string;
}

/** The one shape of every error response. */
export class ErrorEnvelopeDto {
  @ApiProperty({ enum: ERROR_CODES, example: 'CREDENTIAL_NOT_FOUND' })
  error!: ErrorCode;

  @ApiProperty({ example: 'Credential with ID 7c9e6679-7425-40de-944b-e07fc1f90ae7 not found' })
  message!: string;

  @ApiProperty({ example: '2026-02-18T13:00:00Z', format: 'date-time' })
  timestamp!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Present on VALIDATION_ERROR only' })
  details?: FieldErrorDto[];
}

export function toEnvelope(error: DomainError, now = new Date()): ErrorEnvelopeDto {
  const envelope: ErrorEnvelopeDto = { error: error.code, message: error.message, timestamp: toIsoUtc(now) as string };
  if (error.code === 'VALIDATION_ERROR') {
    envelope.details = error.details ?? [];
  }
  return envelope;
}
