import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Principal, RequestWithPrincipal, Role, UnauthorizedError } from '@app/common';

export const IS_PUBLIC_KEY = 'entryguard:public';
export const ROLES_KEY = 'entryguard:roles';

/** The route needs no access token. Everything else does. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/** The route needs one of these roles; others get 403 FORBIDDEN. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

/** The verified principal of this request (set by the global authentication guard). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) {
    throw new UnauthorizedError();
  }
  return principal;
});
