import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { markRateLimitCounted, RateLimitExceededError } from '@app/common';
import { RouteThrottler, routeThrottlers, settingsFor } from './route-throttlers';

/** The throttler, answering in our envelope with a plain `Retry-After` in seconds. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  /** Per handler: its throttlers with the route's decorators applied (metadata never changes). */
  private readonly routes = new WeakMap<object, RouteThrottler[]>();

  /**
   * ThrottlerGuard.canActivate with each route's throttler metadata read once: the library reads
   * six keys of each of our seven throttlers through the Reflector on every request, building
   * each key's string anew, a few percent of a small authenticated read's CPU. The same
   * precedence, the same checks, and the library's handleRequest for each throttler not skipped.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    // Counted here, whatever the outcome: the exception filter must not count it again.
    markRateLimitCounted(context.switchToHttp().getRequest<object>());
    let allowed = true;
    for (const route of this.routeOf(context)) {
      if (route.skip || route.skipIf?.(context)) {
        continue;
      }
      const settings = settingsFor(context, route);
      const { limit, ttl, blockDuration } = settings instanceof Promise ? await settings : settings;
      const { throttler, getTracker, generateKey } = route;
      allowed = (await this.handleRequest({ context, limit, ttl, blockDuration, throttler, getTracker, generateKey })) && allowed;
    }
    return allowed;
  }

  private routeOf(context: ExecutionContext): RouteThrottler[] {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (!route) {
      route = routeThrottlers(this.reflector, this.throttlers, this.commonOptions, context);
      this.routes.set(handler, route);
    }
    return route;
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    reply.header('Retry-After', String(Math.max(1, Math.ceil(detail.timeToBlockExpire))));
    throw new RateLimitExceededError();
  }
}
