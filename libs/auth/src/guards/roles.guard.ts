import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, RequestWithPrincipal, Role } from '@app/common';
import { ROLES_KEY } from '../access/access.decorators';

/** After authentication: a principal without one of the route's roles gets 403 FORBIDDEN. */
@Injectable()
export class RolesGuard implements CanActivate {
  /** The roles each handler requires, read from its decorators once (they never change). */
  private readonly required = new WeakMap<object, Role[] | undefined>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    if (!this.required.has(handler)) {
      this.required.set(handler, this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [handler, context.getClass()]));
    }
    const roles = this.required.get(handler);
    if (!roles?.length) {
      return true;
    }
    const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
    if (principal?.kind === 'user' && roles.includes(principal.role)) {
      return true;
    }
    throw new ForbiddenError(`This action requires the ${roles.join(' or ')} role`);
  }
}
