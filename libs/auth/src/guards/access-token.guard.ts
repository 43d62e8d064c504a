import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY, RequestContext, RequestWithPrincipal } from '@app/common';
import { AccessTokenVerifier } from './access-token.verifier';

/**
 * Global: every route needs a valid access token unless marked @Public(). It also fills the
 * request context (ip, user agent, matched route) that audit and logging read later.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly context: RequestContext,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    this.context.set('ip', request.ip);
    this.context.set('userAgent', request.headers['user-agent']);
    this.context.set('routeHandler', context.getHandler() as (...args: unknown[]) => unknown);
    this.context.set('target', { id: (request.params as Record<string, string> | undefined)?.id });

    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) {
      return true;
    }
    const principal = await this.verifier.verify(request.headers.authorization);
    request.principal = principal;
    this.context.set('principal', principal);
    return true;
  }
}
