import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { clientAddress } from './client-address';
import { RequestContext } from './request-context';

/**
 * The first global guard, and it never refuses: it records where the request comes from and
 * which route it matched, so that a refusal by any later guard is still logged and audited
 * with the caller's address, user agent and target.
 */
@Injectable()
export class RequestContextGuard implements CanActivate {
  constructor(private readonly context: RequestContext) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    this.context.set('ip', clientAddress(request));
    // Bounded like the audit column it lands in: a header may be kilobytes long.
    this.context.set('userAgent', request.headers['user-agent']?.slice(0, 512));
    this.context.set('routeHandler', context.getHandler() as (...args: unknown[]) => unknown);
    this.context.set('target', { id: (request.params as Record<string, string> | undefined)?.id });
    return true;
  }
}
