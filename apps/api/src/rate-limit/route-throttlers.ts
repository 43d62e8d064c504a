import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Resolvable, ThrottlerGenerateKeyFunction, ThrottlerGetTrackerFunction, ThrottlerOptions } from '@nestjs/throttler';
// The keys @SkipThrottle() and @Throttle() write; the package exports the decorators, not the keys.
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from '@nestjs/throttler/dist/throttler.constants';

/** One throttler as one route sees it: the module's options with the route's decorators applied. */
export interface RouteThrottler {
  throttler: ThrottlerOptions;
  /** @SkipThrottle() for this throttler on the handler or its class. */
  skip: boolean;
  skipIf?: (context: ExecutionContext) => boolean;
  limit: Resolvable<number>;
  ttl: Resolvable<number>;
  /** Unset: the ttl. */
  blockDuration?: Resolvable<number>;
  getTracker: ThrottlerGetTrackerFunction;
  generateKey: ThrottlerGenerateKeyFunction;
}

type CommonOptions = Pick<ThrottlerOptions, 'skipIf' | 'getTracker' | 'generateKey'>;

/**
 * What ThrottlerGuard.canActivate reads from each throttler and the route's metadata, in its
 * precedence (handler over class over the throttler's options over the module's), once per
 * route: the guard itself reads six metadata keys of every throttler on every request.
 */
export function routeThrottlers(
  reflector: Reflector,
  throttlers: ThrottlerOptions[],
  common: CommonOptions,
  context: ExecutionContext,
): RouteThrottler[] {
  const targets = [context.getHandler(), context.getClass()];
  const read = <T>(key: string, throttler: ThrottlerOptions): T | undefined =>
    reflector.getAllAndOverride<T | undefined>(key + throttler.name, targets);
  return throttlers.map((throttler) => ({
    throttler,
    skip: Boolean(read<boolean>(THROTTLER_SKIP, throttler)),
    skipIf: throttler.skipIf || common.skipIf,
    limit: read<Resolvable<number>>(THROTTLER_LIMIT, throttler) ?? throttler.limit,
    ttl: read<Resolvable<number>>(THROTTLER_TTL, throttler) ?? throttler.ttl,
    blockDuration: read<Resolvable<number>>(THROTTLER_BLOCK_DURATION, throttler) ?? throttler.blockDuration,
    // The module's are always set: the guard binds its own defaults when the options give none.
    getTracker: (read<ThrottlerGetTrackerFunction>(THROTTLER_TRACKER, throttler) ||
      throttler.getTracker ||
      common.getTracker) as ThrottlerGetTrackerFunction,
    generateKey: (read<ThrottlerGenerateKeyFunction>(THROTTLER_KEY_GENERATOR, throttler) ||
      throttler.generateKey ||
      common.generateKey) as ThrottlerGenerateKeyFunction,
  }));
}

/** A throttler's numbers for one request. */
export interface ThrottlerSettings {
  limit: number;
  ttl: number;
  blockDuration: number;
}

/**
 * The limit, ttl and block duration (the ttl when unset) for this request, resolved in that
 * order and checked as the guard checks them. Plain numbers (every one this app sets) are
 * answered without a promise.
 */
export function settingsFor(context: ExecutionContext, route: RouteThrottler): ThrottlerSettings | Promise<ThrottlerSettings> {
  const name = route.throttler.name;
  const { limit, ttl, blockDuration } = route;
  if (typeof limit !== 'function' && typeof ttl !== 'function' && typeof blockDuration !== 'function') {
    const ttlNumber = toNumber(ttl, 'ttl', name);
    return {
      limit: toNumber(limit, 'limit', name),
      ttl: ttlNumber,
      blockDuration: blockDuration === undefined ? ttlNumber : toNumber(blockDuration, 'blockDuration', name),
    };
  }
  const resolve = async (value: Resolvable<number>): Promise<unknown> => (typeof value === 'function' ? value(context) : value);
  return (async () => {
    const limitNumber = toNumber(await resolve(limit), 'limit', name);
    const ttlNumber = toNumber(await resolve(ttl), 'ttl', name);
    const blockNumber = blockDuration === undefined ? ttlNumber : toNumber(await resolve(blockDuration), 'blockDuration', name);
    return { limit: limitNumber, ttl: ttlNumber, blockDuration: blockNumber };
  })();
}

function toNumber(value: unknown, option: string, throttlerName: string | undefined): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    throw new Error(`Invalid "${option}" for the "${throttlerName}" throttler: expected a number, got ${JSON.stringify(value)}.`);
  }
  return number;
}
