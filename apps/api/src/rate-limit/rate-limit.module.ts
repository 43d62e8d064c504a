import { createHash } from 'node:crypto';
import { DynamicModule, ExecutionContext, Module } from '@nestjs/common';
import { SkipThrottle, ThrottlerModule, ThrottlerOptions, ThrottlerStorage } from '@nestjs/throttler';
import {
  ANONYMOUS_RATE_LIMIT,
  AnonymousRateLimit,
  clientAddress,
  RATE_LIMIT_BUCKET_KEY,
  RateLimitBucket,
  RequestWithPrincipal,
} from '@app/common';
import { AppConfig } from '../config/app-config';
import { FailOpenRedisThrottlerStorage } from './fail-open-throttler.storage';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RateLimitGuard } from './rate-limit.guard';

function principalOf(context: ExecutionContext) {
  return context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
}

/** Per handler, read once: this runs for every throttler on every request. */
const buckets = new WeakMap<object, RateLimitBucket | null>();
function bucketOf(context: ExecutionContext): RateLimitBucket | undefined {
  const handler = context.getHandler();
  let bucket = buckets.get(handler);
  if (bucket === undefined) {
    bucket = (Reflect.getMetadata(RATE_LIMIT_BUCKET_KEY, handler) as RateLimitBucket | undefined) ?? null;
    buckets.set(handler, bucket);
  }
  return bucket ?? undefined;
}

const MINUTE = 60_000;

const rateLimitKey = (name: string, tracker: string) => `entryguard:rl:${name}:${tracker}`;

/** Per client address (§7: an IP address, never forwarded text). */
const ipTracker = (req: Parameters<typeof clientAddress>[0]) => `ip:${clientAddress(req) ?? 'unknown'}`;

/** §10: 3 reset requests an hour per address, whichever IPs they come from. */
const FORGOT_PASSWORD_PER_ADDRESS_PER_HOUR = 3;

/**
 * The address a forgot-password body names (organization slug + email, case-insensitive), hashed
 * so that the counter store never holds an email. Read before validation: anything that is not
 * two strings is left to the per-IP limit (and then refused with 400).
 */
function forgotPasswordAddress(context: ExecutionContext): string | undefined {
  const body = context.switchToHttp().getRequest<{ body?: unknown }>().body as Record<string, unknown> | undefined;
  const slug = body && typeof body === 'object' ? body.organizationSlug : undefined;
  const email = body && typeof body === 'object' ? body.email : undefined;
  if (typeof slug !== 'string' || typeof email !== 'string') {
    return undefined;
  }
  const normalized = `${slug.trim().toLowerCase()}\n${email.trim().toLowerCase()}`;
  return `address:${createHash('sha256').update(normalized, 'utf8').digest('hex')}`;
}

/** The same counter as the 'anonymous' throttler: one budget per IP, whichever way a request is refused. */
function anonymousRateLimit(storage: ThrottlerStorage, limit: number): AnonymousRateLimit {
  return {
    async consume(request) {
      const record = await storage.increment(rateLimitKey('anonymous', ipTracker(request)), MINUTE, limit, MINUTE, 'anonymous');
      return record.isBlocked ? Math.max(1, Math.ceil(record.timeToBlockExpire)) : undefined;
    },
  };
}

/** The counter store, held as a provider only so that Nest runs its shutdown hook. */
const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

/** Every throttler this app defines; @SkipThrottle() alone would only skip one named "default". */
export const THROTTLER_NAMES = ['user', 'anonymous', 'login', 'register', 'forgotPassword', 'forgotPasswordAddress', 'mfa'] as const;

/** For routes that must never be limited (health probes from load balancers). */
export const SkipRateLimits = (): MethodDecorator & ClassDecorator =>
  SkipThrottle(Object.fromEntries(THROTTLER_NAMES.map((name) => [name, true])));

@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig): DynamicModule {
    const limits = config.rateLimits;
    const throttlers: Array<ThrottlerOptions & { name: (typeof THROTTLER_NAMES)[number] }> = [
      { name: 'user', limit: limits.userPerMinute, ttl: MINUTE, skipIf: (c) => !principalOf(c) },
      { name: 'anonymous', limit: limits.anonymousPerMinute, ttl: MINUTE, skipIf: (c) => Boolean(principalOf(c)) },
      { name: 'login', limit: limits.loginPerMinute, ttl: MINUTE, skipIf: (c) => bucketOf(c) !== 'login' },
      // MFA codes: verify-mfa per client IP (no principal yet); confirm, disable and regenerate per user.
      { name: 'mfa', limit: limits.mfaPerMinute, ttl: MINUTE, skipIf: (c) => bucketOf(c) !== 'mfa' },
      { name: 'register', limit: limits.registerPerHour, ttl: 60 * MINUTE, skipIf: (c) => bucketOf(c) !== 'register' },
      { name: 'forgotPassword', limit: limits.forgotPasswordPerHour, ttl: 60 * MINUTE, skipIf: (c) => bucketOf(c) !== 'forgot-password' },
      {
        name: 'forgotPasswordAddress',
        limit: FORGOT_PASSWORD_PER_ADDRESS_PER_HOUR,
        ttl: 60 * MINUTE,
        skipIf: (c) => bucketOf(c) !== 'forgot-password' || !forgotPasswordAddress(c),
        getTracker: (_req, c) => forgotPasswordAddress(c) as string,
      },
    ];
    const storage = config.redisUrl ? new FailOpenRedisThrottlerStorage(config.redisUrl) : new MemoryThrottlerStorage();
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRoot({
          throttlers,
          storage,
          setHeaders: false,
          // One counter per user (or client IP) per limit, across every route and instance.
          getTracker: (req) => {
            const principal = (req as RequestWithPrincipal).principal;
            return principal
              ? `${principal.kind}:${principal.kind === 'user' ? principal.userId : principal.apiKeyId}`
              : ipTracker(req as never);
          },
          generateKey: (_context, tracker, name) => rateLimitKey(name, tracker),
        }),
      ],
      // Registered as a provider too, so Nest runs its shutdown hook (Redis connection, sweeper).
      providers: [
        RateLimitGuard,
        { provide: RATE_LIMIT_STORAGE, useValue: storage },
        { provide: ANONYMOUS_RATE_LIMIT, useValue: anonymousRateLimit(storage, limits.anonymousPerMinute) },
      ],
      exports: [RateLimitGuard, ANONYMOUS_RATE_LIMIT],
    };
  }
}
