import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyScope, ForbiddenError, RequestWithPrincipal, Role } from '@app/common';
import { REQUIRED_SCOPE_KEY, ROLES_KEY } from '../access/access.decorators';

/** What a route asks of its caller, read from its decorators once (they never change). */
interface RouteAccess {
  roles?: Role[];
  scope?: ApiKeyScope;
}

/**
 * After authentication, the 403 of §1 and §15. An API key passes only a route that names a scope
 * (@RequiresScope) it carries, whatever its creator's role: admin routes name none, so they refuse
 * every key. Then the route's roles apply to everyone, a key acting with its creator's current role.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly access = new WeakMap<object, RouteAccess>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const { roles, scope } = this.accessOf(context);
    const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
    if (principal?.kind === 'apiKey') {
      if (!scope) {
        throw new ForbiddenError('API keys cannot call this route');
      }
      if (!principal.scopes.includes(scope)) {
        throw new ForbiddenError(`This API key lacks the ${scope} scope`);
      }
    }
    if (!roles?.length) {
      return true;
    }
    if (principal && roles.includes(principal.role)) {
      return true;
    }
    throw new ForbiddenError(`This action requires the ${roles.join(' or ')} role`);
  }

  private accessOf(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    let access = this.access.get(handler);
    if (!access) {
      const targets = [handler, context.getClass()];
      access = {
        roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
        scope: this.reflector.getAllAndOverride<ApiKeyScope | undefined>(REQUIRED_SCOPE_KEY, targets),
      };
      this.access.set(handler, access);
    }
    return access;
  }
}
