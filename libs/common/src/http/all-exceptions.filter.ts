import { ArgumentsHost, Catch, ExceptionFilter, Inject, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toDomainError } from '../errors/error-mapping';
import { REFUSAL_LISTENER, RefusalListener } from '../context/refusal-listener';
import { ANONYMOUS_RATE_LIMIT, AnonymousRateLimit, wasRateLimitCounted } from '../context/anonymous-rate-limit';
import { DomainError, RateLimitExceededError } from '../errors/domain-error';
import type { RequestWithPrincipal } from '../context/principal';
import { toEnvelope } from './error-envelope';

/** The only place that knows HTTP error shapes: everything thrown becomes the one envelope. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    @Optional() @Inject(REFUSAL_LISTENER) private readonly refusalListener?: RefusalListener,
    @Optional() @Inject(ANONYMOUS_RATE_LIMIT) private readonly anonymousLimit?: AnonymousRateLimit,
  ) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (clientWentAway(request, exception)) {
      // Not our error and nobody to answer: a hang-up must not write error lines (or look like an outage).
      request.log.debug({ code: (exception as { code?: string }).code }, 'client closed the connection before the request was read');
      return;
    }
    const error = await this.limitAnonymous(request, reply, toDomainError(exception));

    if (error.status >= 500) {
      request.log.error({ err: exception, errorCode: error.code }, 'request failed');
    } else if (this.refusalListener) {
      await this.notifyRefusal(request, error);
    }
    if (reply.sent) {
      return;
    }
    await reply.status(error.status).type('application/json; charset=utf-8').send(toEnvelope(error));
  }

  /**
   * A refused token (401) or an unknown route (404) never reached the rate-limit guard: it counts
   * against the caller's anonymous per-IP budget here, and once that is spent the answer is 429.
   */
  private async limitAnonymous(request: FastifyRequest, reply: FastifyReply, error: DomainError): Promise<DomainError> {
    const countable = error.code === 'UNAUTHORIZED' || error.code === 'NOT_FOUND';
    if (!countable || !this.anonymousLimit || (request as RequestWithPrincipal).principal || wasRateLimitCounted(request)) {
      return error;
    }
    const retryAfter = await this.anonymousLimit.consume(request).catch(() => undefined);
    if (retryAfter === undefined) {
      return error;
    }
    reply.header('Retry-After', String(retryAfter));
    return new RateLimitExceededError();
  }

  private async notifyRefusal(request: FastifyRequest, error: ReturnType<typeof toDomainError>): Promise<void> {
    try {
      await this.refusalListener?.onRefused(error);
    } catch (listenerError) {
      // The client still deserves its 4xx; a lost failure record is an operator problem.
      request.log.error({ err: listenerError }, 'could not record refused request');
    }
  }
}

/** The client aborted the request (reset, or closed mid-body): the error is about its socket. */
function clientWentAway(request: FastifyRequest, exception: unknown): boolean {
  const raw = request.raw;
  const code = (exception as { code?: unknown } | null)?.code;
  const aborted = raw.readableAborted || raw.destroyed || (raw.socket?.destroyed ?? false);
  return aborted && (code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'EPIPE' || (exception as Error)?.message === 'aborted');
}
