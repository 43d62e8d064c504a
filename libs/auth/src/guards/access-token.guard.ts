import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import {
  DomainError,
  IS_PUBLIC_KEY,
  isUnavailableError,
  Principal,
  RequestContext,
  RequestWithPrincipal,
  UnauthorizedError,
} from '@app/common';

/**
 * Global: every route needs a valid access token unless marked @Public(). It also fills the
 * request context (ip, user agent, matched route) that audit and logging read later.
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly context: RequestContext,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    this.context.set('ip', request.ip);
    this.context.set('userAgent', request.headers['user-agent']);
    this.context.set('routeHandler', context.getHandler() as (...args: unknown[]) => unknown);
    const params = request.params as Record<string, string> | undefined;
    this.context.set('targetId', params?.id);

    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) {
      return true;
    }
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<TUser = Principal>(error: unknown, principal: unknown, _info: unknown, context: ExecutionContext): TUser {
    if (error instanceof DomainError && error.code !== 'UNAUTHORIZED') {
      throw error;
    }
    if (isUnavailableError(error)) {
      throw error;
    }
    if (error || !principal) {
      throw new UnauthorizedError();
    }
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    request.principal = principal as Principal;
    this.context.set('principal', principal as Principal);
    return principal as TUser;
  }
}
