import { ExecutionContext, Injectable } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { markRateLimitCounted, RateLimitExceededError } from '@app/common';
import { FixedMetadataReflector } from './fixed-metadata.reflector';

/** The throttler, answering in our envelope with a plain `Retry-After` in seconds. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(@InjectThrottlerOptions() options: ThrottlerModuleOptions, @InjectThrottlerStorage() storage: ThrottlerStorage) {
    super(options, storage, new FixedMetadataReflector());
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    // Counted here, whatever the outcome: the exception filter must not count it again.
    markRateLimitCounted(context.switchToHttp().getRequest<object>());
    return super.canActivate(context);
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    reply.header('Retry-After', String(Math.max(1, Math.ceil(detail.timeToBlockExpire))));
    throw new RateLimitExceededError();
  }
}
