import { applyDecorators } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ADMIN_ERRORS, ApiErrorResponses, BODY_ERRORS } from '@app/common';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';

/** The OpenAPI prose of ApiKeysController, one bundle per route, so the controller stays readable. */
const ADMIN = 'Requires ORG_ADMIN (an access token: an API key cannot manage keys).';

export const ApiKeyDocs = {
  create: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'createApiKey',
        summary: 'Create an API key; the key is shown once',
        description: `Creates a key for scripts, the CLI and CI: egk_live_ followed by 43 random letters and digits (256 bits). The answer's plainTextKey is the only time the key is shown; only its SHA-256 is stored. Send it as X-API-Key: <key> or Authorization: ApiKey <key>. The key acts as its creator (the caller), narrowed to its scopes (sessions:read, sessions:write, resources:read, audit:read; at least one, an unknown one is 400). expiresAt, if given, must be in the future (400). ${ADMIN}`,
      }),
      ApiCreatedResponse({ type: CreatedApiKeyDto }),
      ApiErrorResponses(...ADMIN_ERRORS, ...BODY_ERRORS),
    ),

  list: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'listApiKeys',
        summary: 'List API keys, newest first',
        description: `Every key of the organization, revoked ones included, newest first (a bare array): its prefix, scopes, expiry, revocation, creator, and when and from which address it was last used (recorded at most once a minute). Never the key itself. ${ADMIN}`,
      }),
      ApiOkResponse({ type: [ApiKeyDto] }),
      ApiErrorResponses(...ADMIN_ERRORS),
    ),

  revoke: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key',
        description: `Revokes the key: from the next request on it answers 401. It stays in the list, with isRevoked and revokedAt; revoking it again changes nothing. A missing id, or one of another organization, is 404 API_KEY_NOT_FOUND with the same body. ${ADMIN}`,
      }),
      ApiNoContentResponse({ description: 'Revoked; no body' }),
      ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'API_KEY_NOT_FOUND'),
    ),
};
