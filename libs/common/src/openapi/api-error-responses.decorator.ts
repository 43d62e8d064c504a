import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorCode, HTTP_STATUS_BY_CODE, OTHER_STATUSES_BY_CODE } from '../errors/error-code';
import { ErrorEnvelopeDto, FieldErrorDto } from '../http/error-envelope';

/** What every route behind the auth guard can answer, besides its own errors. */
export const AUTHENTICATED_ERRORS: ErrorCode[] = ['UNAUTHORIZED', 'RATE_LIMIT_EXCEEDED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'];
export const ADMIN_ERRORS: ErrorCode[] = [...AUTHENTICATED_ERRORS, 'FORBIDDEN'];
/** What any route that reads a JSON body can answer before its handler runs. */
export const BODY_ERRORS: ErrorCode[] = ['VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

/** A message for each code, as the examples in the documentation show it. */
const EXAMPLE_MESSAGES: Record<ErrorCode, string> = {
  VALIDATION_ERROR: 'Request validation failed',
  CREDENTIAL_IN_USE: 'Cannot delete credential linked to 3 active resources. Delete or reassign resources first.',
  RESOURCE_IN_USE: 'Cannot delete resource with active sessions. Stop all active sessions first.',
  VERIFICATION_FAILED: 'Resource verification failed: AWS says security group sg-0abc123def4567890 does not exist in eu-west-1.',
  PROVIDER_REVOCATION_FAILED:
    'The provider did not revoke the key, so nothing was changed. AWS denied UpdateAccessKey: these keys lack the permission iam:UpdateAccessKey.',
  UNAUTHORIZED: 'Missing or invalid authentication token',
  FORBIDDEN: 'This action requires the ORG_ADMIN role',
  CREDENTIAL_NOT_FOUND: 'Credential with ID 7c9e6679-7425-40de-944b-e07fc1f90ae7 not found',
  RESOURCE_NOT_FOUND: 'Resource with ID 550e8400-e29b-41d4-a716-446655440000 not found',
  NOT_FOUND: 'The requested route was not found',
  METHOD_NOT_ALLOWED: 'This method is not allowed on this path',
  REQUEST_TIMEOUT: 'The request did not arrive completely within 30000 ms',
  HEADERS_TOO_LARGE: 'The request headers are too large',
  RESOURCE_ALREADY_EXISTS: "A resource with identifier 'sg-0abc123def4567890' already exists in this organization and region",
  ORGANIZATION_ALREADY_EXISTS: "An organization with slug 'acme-corp' already exists",
  CREDENTIAL_NAME_TAKEN: "A credential named 'AWS Production' already exists in this organization",
  USER_NOT_FOUND: 'User with ID 9b2f6c1e-3d4a-4f5b-8c6d-7e8f9a0b1c2d not found',
  ROLE_NOT_FOUND: 'Role with ID 4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8 not found',
  API_KEY_NOT_FOUND: 'API key with ID 2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f not found',
  USER_ALREADY_EXISTS: "A user with email 'ada@example.com' already exists in this organization",
  ROLE_ALREADY_EXISTS: "A role named 'Developers' already exists in this organization",
  ALREADY_ASSIGNED: 'The user is already assigned to this role',
  LAST_ADMIN: 'Cannot demote the last organization admin',
  INVALID_TOKEN: 'The link is invalid or has expired',
  MFA_NOT_ENABLED: 'MFA is not enabled for this user',
  MFA_ALREADY_ENABLED: 'MFA is already enabled: disable it first to set it up again',
  MFA_REQUIRED_BY_ORGANIZATION: 'Your organization requires MFA: it cannot be disabled',
  PAYLOAD_TOO_LARGE: 'Request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Request body must be application/json',
  RATE_LIMIT_EXCEEDED: 'Rate limit exceeded. Try again later.',
  INTERNAL_ERROR: 'An unexpected error occurred',
  SERVICE_UNAVAILABLE: 'The service is temporarily unavailable. Try again shortly.',
  SESSION_NOT_FOUND: 'Session with ID 6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d not found',
  STATIC_IP_RULE_NOT_FOUND: 'Static IP rule with ID 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d not found',
  SESSION_NOT_ACTIVE: 'Session is not active (status EXPIRED)',
  DURATION_EXCEEDS_LIMIT: 'Session duration exceeds the limit of 8 hours',
  SESSION_LIMIT_REACHED: 'You already have 3 live sessions, the most allowed. Stop one first.',
  NO_RESOURCES_ASSIGNED: 'No active resources are assigned to you',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was already used with a different request body',
};

function example(code: ErrorCode): Record<string, unknown> {
  const body: Record<string, unknown> = { error: code, message: EXAMPLE_MESSAGES[code], timestamp: '2026-02-18T13:00:00Z' };
  if (code === 'VALIDATION_ERROR') {
    body.details = [{ field: 'credentialData.secretAccessKey', message: 'secretAccessKey should not be empty' }];
  }
  return body;
}

/** A code answered, on one route, with one of its OTHER_STATUSES_BY_CODE (§11's 404 MFA_NOT_ENABLED). */
export interface ErrorAtStatus {
  code: ErrorCode;
  status: HttpStatus;
}

/**
 * Documents each error a route can return, grouped by status, with the envelope schema and
 * the exact codes as an enum, so generated clients and the spec cannot drift from the code.
 */
export function ApiErrorResponses(...codes: Array<ErrorCode | ErrorAtStatus>): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  const seen = new Set<string>();
  for (const entry of codes) {
    const { code, status } = typeof entry === 'string' ? { code: entry, status: HTTP_STATUS_BY_CODE[entry] } : entry;
    if (status !== HTTP_STATUS_BY_CODE[code] && !OTHER_STATUSES_BY_CODE[code]?.includes(status)) {
      throw new Error(`${code} is never answered with ${status} (see OTHER_STATUSES_BY_CODE)`);
    }
    if (!seen.has(`${status} ${code}`)) {
      seen.add(`${status} ${code}`);
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
  }
  const responses = [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, statusCodes]) =>
      ApiResponse({
        status,
        description: statusCodes.join(', '),
        headers:
          status === 429 ? { 'Retry-After': { description: 'Seconds until the limit resets', schema: { type: 'integer' } } } : undefined,
        content: {
          'application/json': {
            examples: Object.fromEntries(statusCodes.map((code) => [code, { summary: code, value: example(code) }])),
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
