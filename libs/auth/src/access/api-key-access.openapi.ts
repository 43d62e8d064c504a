import type { OpenAPIObject } from '@nestjs/swagger';
import { API_KEY_SECURITY_SCHEME, REQUIRED_SCOPE_EXTENSION } from './access.decorators';

const BEARER_SCHEME = 'bearer';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

export const API_KEY_SCHEME_DESCRIPTION =
  'An API key (egk_live_ followed by 43 letters and digits), created with POST /api-keys, sent as `X-API-Key: <key>`; ' +
  '`Authorization: ApiKey <key>` works too, with the scheme name in any letter case. A key acts as the user who created it, ' +
  'narrowed to its scopes: it reaches only the operations that name a scope it carries (x-required-scope), ' +
  'and gets 403 FORBIDDEN on every other one. Unknown, revoked or expired keys, and keys whose creator was removed or deactivated, get 401.';

interface OperationDoc {
  description?: string;
  security?: Array<Record<string, string[]>>;
  [REQUIRED_SCOPE_EXTENSION]?: string;
}

/**
 * The API-key half of the document (§15): the `apiKey` security scheme, and on every operation
 * that @RequiresScope marked, both schemes in its security and a sentence naming the scope, so
 * a reader of the description alone knows what a key needs. Every other operation keeps bearer only.
 */
export function describeApiKeyAccess(document: OpenAPIObject): void {
  document.components ??= {};
  document.components.securitySchemes ??= {};
  document.components.securitySchemes[API_KEY_SECURITY_SCHEME] = {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: API_KEY_SCHEME_DESCRIPTION,
  };
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, OperationDoc | undefined>)[method];
      const scope = operation?.[REQUIRED_SCOPE_EXTENSION];
      if (!operation || !scope) {
        continue;
      }
      const security = operation.security ?? [];
      for (const scheme of [BEARER_SCHEME, API_KEY_SECURITY_SCHEME]) {
        if (!security.some((requirement) => scheme in requirement)) {
          security.push({ [scheme]: [] });
        }
      }
      operation.security = security;
      const sentence = `An API key needs the ${scope} scope, and acts with its creator's role.`;
      if (!operation.description?.includes(sentence)) {
        operation.description = operation.description ? `${operation.description} ${sentence}` : sentence;
      }
    }
  }
}
