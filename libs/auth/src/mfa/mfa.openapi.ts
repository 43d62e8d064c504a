import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, getSchemaPath } from '@nestjs/swagger';
import { ApiErrorResponses, AUTHENTICATED_ERRORS, BODY_ERRORS, ErrorCode } from '@app/common';
import { AuthResponseDto, EmptyResponseDto, PasswordExpiredResponseDto } from '../dto/auth.dto';
import { MfaSetupResponseDto, RecoveryCodesResponseDto } from './dto/mfa.dto';

const PUBLIC_ERRORS: ErrorCode[] = [...BODY_ERRORS, 'RATE_LIMIT_EXCEEDED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'];
/** An API key has no MFA of its own (403), and a token whose organization requires MFA reaches only setup (403). */
const SIGNED_IN_ERRORS: ErrorCode[] = [...AUTHENTICATED_ERRORS, 'FORBIDDEN', ...BODY_ERRORS];

const LIMIT = 'Limited to RATE_LIMIT_MFA_PER_MINUTE (10) requests a minute per client (user, or IP before sign-in).';
const SPENT =
  'A TOTP code accepted anywhere (confirm, verify-mfa, disable, regenerate) is spent for the user: the same code is refused everywhere after.';

/** The OpenAPI prose of MfaController and of POST /auth/verify-mfa, one bundle per route. */
export const MfaDocs = {
  setup: () =>
    applyDecorators(
      ApiBearerAuth(),
      ApiOperation({
        operationId: 'setupMfa',
        summary: 'Start MFA setup: a new TOTP secret and its QR code',
        description:
          'Answers a new TOTP secret (Base32; RFC 6238, SHA-1, 6 digits, 30-second steps), the otpauth://totp/EntryGuard:<email> URL and its QR code (a PNG in plain base64) for an authenticator app. The secret is kept server-side, encrypted, for 10 minutes as the pending one (a new setup replaces it); nothing changes until POST /mfa/setup/confirm. 409 MFA_ALREADY_ENABLED when MFA is on. Reachable while the organization requires MFA and the user has not set it up.',
      }),
      ApiOkResponse({ type: MfaSetupResponseDto }),
      ApiErrorResponses(...AUTHENTICATED_ERRORS, 'FORBIDDEN', 'MFA_ALREADY_ENABLED'),
    ),

  confirm: () =>
    applyDecorators(
      ApiBearerAuth(),
      ApiOperation({
        operationId: 'confirmMfaSetup',
        summary: 'Turn MFA on with the pending secret and a current code',
        description: `With the pending secret of POST /mfa/setup and a current code of it, turns MFA on and answers 8 recovery codes, shown this once (each signs in once in place of a TOTP code; stored hashed). A secret that is not the pending one (replaced, or older than 10 minutes) or a wrong code: 400 VALIDATION_ERROR naming the field. 409 MFA_ALREADY_ENABLED when MFA is on. ${SPENT} ${LIMIT}`,
      }),
      ApiOkResponse({ type: RecoveryCodesResponseDto }),
      ApiErrorResponses(...SIGNED_IN_ERRORS, 'MFA_ALREADY_ENABLED'),
    ),

  disable: () =>
    applyDecorators(
      ApiBearerAuth(),
      ApiOperation({
        operationId: 'disableMfa',
        summary: 'Turn MFA off',
        description: `With a current TOTP code or an unused recovery code, turns MFA off: the secret and the recovery codes are deleted. 404 MFA_NOT_ENABLED when it is off; 400 MFA_REQUIRED_BY_ORGANIZATION while the organization requires MFA (an admin can reset it instead: POST /users/{id}/reset-mfa); a wrong code: 400 VALIDATION_ERROR (field code). ${SPENT} ${LIMIT}`,
      }),
      ApiOkResponse({ type: EmptyResponseDto }),
      ApiErrorResponses(...SIGNED_IN_ERRORS, 'MFA_REQUIRED_BY_ORGANIZATION', { code: 'MFA_NOT_ENABLED', status: HttpStatus.NOT_FOUND }),
    ),

  regenerate: () =>
    applyDecorators(
      ApiBearerAuth(),
      ApiOperation({
        operationId: 'regenerateRecoveryCodes',
        summary: 'Replace the recovery codes',
        description: `With a current TOTP code (a recovery code does not count here: a stolen access token alone cannot mint new ones), answers 8 new recovery codes, shown this once; every earlier one stops working. 404 MFA_NOT_ENABLED when MFA is off; a wrong code: 400 VALIDATION_ERROR (field code). ${SPENT} ${LIMIT}`,
      }),
      ApiOkResponse({ type: RecoveryCodesResponseDto }),
      ApiErrorResponses(...SIGNED_IN_ERRORS, { code: 'MFA_NOT_ENABLED', status: HttpStatus.NOT_FOUND }),
    ),

  verify: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'verifyMfa',
        summary: 'Second step of a sign-in with MFA',
        description: `Completes a login that answered {mfaRequired: true, mfaChallengeToken, ...} (or a password reset of a user with MFA on), with a current TOTP code or an unused recovery code (case-insensitive): answers the auth response, or, when the password has expired, {passwordExpired: true, passwordChangeToken, ...} as a login would. A wrong or already used code is 401 UNAUTHORIZED and is recorded as a failed USER_LOGIN; the fifth wrong code ends the challenge, and any later attempt on it, like an unknown, used or expired challenge (5 minutes), is 401. ${SPENT} ${LIMIT}`,
      }),
      ApiExtraModels(PasswordExpiredResponseDto),
      ApiOkResponse({
        description: 'Signed in; or, when the password has expired, a password change token and no sign-in',
        schema: { oneOf: [{ $ref: getSchemaPath(AuthResponseDto) }, { $ref: getSchemaPath(PasswordExpiredResponseDto) }] },
      }),
      ApiErrorResponses(...PUBLIC_ERRORS, 'UNAUTHORIZED'),
    ),
};
