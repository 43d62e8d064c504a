import { CanActivate, ExecutionContext, Injectable, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, IAuthGuard } from '@nestjs/passport';
import { Principal, RequestContext, RequestWithPrincipal, UnauthorizedError } from '@app/common';
import { IS_PUBLIC_KEY } from '../access/access.decorators';

/**
 * Global: every route needs a principal unless marked @Public(). The DI token the app registers;
 * `authenticationGuardClass` builds the implementation for this app's passport strategies.
 */
export abstract class AuthenticationGuard implements CanActivate {
  abstract canActivate(context: ExecutionContext): Promise<boolean>;
}

/**
 * Tries this app's strategies in order through @nestjs/passport (a second one, for API keys,
 * joins the list without any change to controllers) and puts the principal on the request and
 * in the request context. Any failure is one 401 envelope, never passport's own text; an error
 * that is not about the credentials (the database is down) keeps its own meaning.
 */
export function authenticationGuardClass(strategies: string[]): Type<AuthenticationGuard> {
  const PassportGuard: Type<IAuthGuard> = AuthGuard(strategies);

  @Injectable()
  class PassportAuthenticationGuard extends PassportGuard implements AuthenticationGuard {
    /** @Public() per route handler: metadata is fixed once the app is built, and reading it walks prototypes. */
    private readonly publicRoutes = new WeakMap<object, boolean>();

    constructor(
      private readonly reflector: Reflector,
      private readonly context: RequestContext,
    ) {
      super({ session: false, property: 'principal' });
    }

    override async canActivate(context: ExecutionContext): Promise<boolean> {
      if (this.isPublic(context)) {
        return true;
      }
      await super.canActivate(context);
      const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
      this.context.set('principal', principal);
      return true;
    }

    private isPublic(context: ExecutionContext): boolean {
      const handler = context.getHandler();
      let isPublic = this.publicRoutes.get(handler);
      if (isPublic === undefined) {
        isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [handler, context.getClass()]) === true;
        this.publicRoutes.set(handler, isPublic);
      }
      return isPublic;
    }

    override handleRequest<TUser = Principal>(error: unknown, principal: unknown): TUser {
      // Token problems arrive as a failure (no error, no principal); an error is a real one,
      // such as the database being down during the user check, and keeps its meaning (503).
      if (error) {
        throw error;
      }
      if (!principal) {
        throw new UnauthorizedError();
      }
      return principal as TUser;
    }
  }
  return PassportAuthenticationGuard;
}
