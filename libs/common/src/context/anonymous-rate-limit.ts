import type { FastifyRequest } from 'fastify';

/**
 * The anonymous per-IP limit, for requests the rate-limit guard never sees: refused by the
 * authentication guard before it (401), or matching no route (404). Without it, bad tokens and
 * route scans were never limited (§7). Answers the Retry-After seconds when over the limit.
 */
export interface AnonymousRateLimit {
  consume(request: FastifyRequest): Promise<number | undefined>;
}
export const ANONYMOUS_RATE_LIMIT = Symbol('ANONYMOUS_RATE_LIMIT');

/** Set on a request that the rate-limit guard has already counted, so it is never counted twice. */
const COUNTED = Symbol('entryguard.rateLimitCounted');

export function markRateLimitCounted(request: object): void {
  (request as Record<symbol, boolean>)[COUNTED] = true;
}

export function wasRateLimitCounted(request: object): boolean {
  return (request as Record<symbol, boolean>)[COUNTED] === true;
}
