import { OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Window {
  hits: number;
  expiresAt: number;
  blockedUntil: number;
}

/**
 * Fixed-window counters for a single instance (no REDIS_URL), O(1) per request. The
 * throttler's own in-memory store keeps one timestamp per hit and filters them all on every
 * request, which at a few hundred requests a second per user costs more than the request.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper = setInterval(() => this.sweep(), 60_000).unref();

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<StorageRecord> {
    const now = Date.now();
    const id = `${throttlerName}:${key}`;
    let window = this.windows.get(id);
    if (!window || (window.expiresAt <= now && window.blockedUntil <= now)) {
      window = { hits: 0, expiresAt: now + ttl, blockedUntil: 0 };
      this.windows.set(id, window);
    }
    const seconds = (until: number) => Math.max(0, Math.ceil((until - now) / 1000));
    if (window.blockedUntil > now) {
      return {
        totalHits: window.hits,
        timeToExpire: seconds(window.expiresAt),
        isBlocked: true,
        timeToBlockExpire: seconds(window.blockedUntil),
      };
    }
    window.hits += 1;
    if (window.hits > limit) {
      window.blockedUntil = now + (blockDuration > 0 ? blockDuration : ttl);
      return {
        totalHits: window.hits,
        timeToExpire: seconds(window.expiresAt),
        isBlocked: true,
        timeToBlockExpire: seconds(window.blockedUntil),
      };
    }
    return { totalHits: window.hits, timeToExpire: seconds(window.expiresAt), isBlocked: false, timeToBlockExpire: 0 };
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, window] of this.windows) {
      if (window.expiresAt <= now && window.blockedUntil <= now) {
        this.windows.delete(id);
      }
    }
  }
}
