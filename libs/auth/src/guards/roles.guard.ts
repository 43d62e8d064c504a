import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, RequestWithPrincipal, Role } from '@app/common';
import { ROLES_KEY } from '../access/access.decorators';

/** After authentication: a principal without one of the route's roles gets 403 FORBIDDEN. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
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
