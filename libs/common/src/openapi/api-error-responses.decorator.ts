import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorCode, HTTP_STATUS_BY_CODE } from '../errors/error-code';
import { ErrorEnvelopeDto, FieldErrorDto } from '../http/error-envelope';

/** What every route behind the auth guard can answer, besides its own errors. */
export const AUTHENTICATED_ERRORS: ErrorCode[] = ['UNAUTHORIZED', 'RATE_LIMIT_EXCEEDED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'];
export const ADMIN_ERRORS: ErrorCode[] = [...AUTHENTICATED_ERRORS, 'FORBIDDEN'];
/** What any route that reads a JSON body can answer before its handler runs. */
export const BODY_ERRORS: ErrorCode[] = ['VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

/**
 * Documents each error a route can return, grouped by status, with the envelope schema and
 * the exact codes as an enum, so generated clients and the spec cannot drift from the code.
 */
export function ApiErrorResponses(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = HTTP_STATUS_BY_CODE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses = [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, statusCodes]) =>
      ApiResponse({
        status,
        description: statusCodes.join(', '),
        headers:
          status === 429
            ? { 'Retry-After': { description: 'Seconds until the limit resets', schema: { type: 'integer' } } }
            : undefined,
        content: {
          'application/json': {
            schema: {
              allOf: [
                { $ref: getSchemaPath(ErrorEnvelopeDto) },
                { type: 'object', properties: { error: { type: 'string', enum: statusCodes } } },
              ],
            },
          },
        },
      }),
    );
  return applyDecorators(ApiExtraModels(ErrorEnvelopeDto, FieldErrorDto), ...responses);
}
