import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Counters shared by every instance through Redis. When Redis cannot answer, requests are
 * let through (fail open) and the outage is logged: a rate-limit store outage should not
 * take the whole API down, and logins stay slow by design (argon2id).
 */
export class FailOpenRedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: Redis;
  private readonly inner: ThrottlerStorageRedisService;
  private lastWarning = 0;

  constructor(redisUrl: string) {
    this.redis = new Redis(redisUrl, {
      // Fail the command at once when disconnected instead of queueing requests behind it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 1000,
      lazyConnect: false,
    });
    this.redis.on('error', (error: Error) => this.warn(error));
    this.inner = new ThrottlerStorageRedisService(this.redis);
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<StorageRecord> {
    try {
      return await this.inner.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (error) {
      this.warn(error as Error);
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }

  private warn(error: Error): void {
    const now = Date.now();
    if (now - this.lastWarning > 10_000) {
      this.lastWarning = now;
      this.logger.warn(`Rate-limit store unavailable, allowing requests: ${error.message}`);
    }
  }
}
