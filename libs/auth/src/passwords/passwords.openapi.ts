import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiNoContentResponse, ApiOkResponse, ApiOperation, getSchemaPath } from '@nestjs/swagger';
import { ApiErrorResponses, AUTHENTICATED_ERRORS, BODY_ERRORS, ErrorCode } from '@app/common';
import { AuthResponseDto, EmptyResponseDto } from '../dto/auth.dto';
import { MfaChallengeResponseDto } from '../mfa/dto/mfa.dto';

const PUBLIC_ERRORS: ErrorCode[] = [...BODY_ERRORS, 'RATE_LIMIT_EXCEEDED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'];

const POLICY =
  "A password must meet the organization's password policy (GET /organization/settings) and is 8 to 128 characters in every case; each broken rule is one entry of `details`, under the request's field name.";

/** The OpenAPI prose of PasswordsController, one bundle per route. */
export const PasswordsDocs = {
  change: () =>
    applyDecorators(
      ApiBearerAuth(),
      ApiOperation({
        operationId: 'changePassword',
        summary: "Change the signed-in user's password",
        description: `Checks currentPassword (401 UNAUTHORIZED "Current password is incorrect" when wrong) and sets newPassword. ${POLICY} A newPassword equal to the current one is 400 VALIDATION_ERROR. Every other refresh token of the user stops working: pass the caller's own refreshToken to keep this session signed in; without it, every refresh token of the user dies. Access tokens already issued stay valid until they expire. While the organization requires MFA and the user has not set it up, 403 FORBIDDEN.`,
      }),
      ApiOkResponse({ type: EmptyResponseDto }),
      ApiErrorResponses(...AUTHENTICATED_ERRORS, 'FORBIDDEN', ...BODY_ERRORS),
    ),

  forgot: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'forgotPassword',
        summary: 'Ask for a password reset mail',
        description:
          'Always answers 204, in the same time whether or not the organization and user exist. When an active user with an accepted invitation exists, it receives a mail with a link to <APP_URL>/reset-password?token=..., valid 1 hour and single use; an earlier link stops working. Limited to RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR (5) requests an hour per client IP, and 3 an hour per organization and email.',
      }),
      ApiNoContentResponse({ description: 'Accepted; a mail follows if the user exists' }),
      ApiErrorResponses(...PUBLIC_ERRORS),
    ),

  reset: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'resetPassword',
        summary: 'Set a new password with the token from a reset mail',
        description: `Sets the password and signs the user in (a new token pair). ${POLICY} A refused password leaves the token usable. An unknown, spent or expired token is 400 INVALID_TOKEN. Every other refresh token of the user stops working. A user with MFA on is not signed in by the link alone: the answer is then the MFA challenge {mfaRequired: true, mfaChallengeToken, ...}, completed with POST /auth/verify-mfa.`,
      }),
      ApiExtraModels(MfaChallengeResponseDto),
      ApiOkResponse({
        description: 'Signed in; or, for a user with MFA on, the MFA challenge and no sign-in',
        schema: { oneOf: [{ $ref: getSchemaPath(AuthResponseDto) }, { $ref: getSchemaPath(MfaChallengeResponseDto) }] },
      }),
      ApiErrorResponses(...PUBLIC_ERRORS, 'INVALID_TOKEN'),
    ),

  changeExpired: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'changeExpiredPassword',
        summary: 'Replace an expired password',
        description: `With the passwordChangeToken a login answered because the password had expired (valid 10 minutes, single use): sets newPassword and signs the user in. ${POLICY} A newPassword equal to the expired one is 400 VALIDATION_ERROR, and leaves the token usable. An unknown, spent or expired token is 400 INVALID_TOKEN.`,
      }),
      ApiOkResponse({ type: AuthResponseDto }),
      ApiErrorResponses(...PUBLIC_ERRORS, 'INVALID_TOKEN'),
    ),
};
