import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { ApiKeyScope, Principal, RequestWithPrincipal, Role, UnauthorizedError } from '@app/common';

export const IS_PUBLIC_KEY = 'entryguard:public';
export const ROLES_KEY = 'entryguard:roles';
export const ALLOWED_DURING_MFA_SETUP_KEY = 'entryguard:allowed-during-mfa-setup';
export const REQUIRED_SCOPE_KEY = 'entryguard:required-scope';

/** The OpenAPI security scheme of API keys (the bearer scheme is called `bearer`). */
export const API_KEY_SECURITY_SCHEME = 'apiKey';
/** The OpenAPI extension that names the scope an operation needs from an API key. */
export const REQUIRED_SCOPE_EXTENSION = 'x-required-scope';

/** The route needs no access token. Everything else does. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/** The route needs one of these roles; others get 403 FORBIDDEN. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

/**
 * The route accepts API keys that carry this scope (§15), besides access tokens. A key on a route
 * without one, or without this scope, gets 403 FORBIDDEN; `@Roles` still applies to the key's
 * creator. Documents the key scheme and the scope on the operation (see describeApiKeyAccess).
 */
export const RequiresScope = (scope: ApiKeyScope): MethodDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_SCOPE_KEY, scope),
    ApiSecurity(API_KEY_SECURITY_SCHEME),
    ApiExtension(REQUIRED_SCOPE_EXTENSION, scope),
  ) as MethodDecorator;

/**
 * The route stays open to a user whose organization requires MFA and who has not set it up yet
 * (§11: MFA setup, /auth/me, logout). Every other route answers that user 403 FORBIDDEN.
 */
export const AllowedDuringMfaSetup = (): MethodDecorator & ClassDecorator => SetMetadata(ALLOWED_DURING_MFA_SETUP_KEY, true);

/** The verified principal of this request (set by the global authentication guard). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) {
    throw new UnauthorizedError();
  }
  return principal;
});
