import { SetMetadata } from '@nestjs/common';

export const RATE_LIMIT_BUCKET_KEY = 'entryguard:rate-limit-bucket';
export type RateLimitBucket = 'login' | 'register' | 'forgot-password' | 'mfa';

/** Puts a route under a stricter per-IP limit of its own, on top of the general one. */
export const RateLimitBucket = (bucket: RateLimitBucket): MethodDecorator => SetMetadata(RATE_LIMIT_BUCKET_KEY, bucket);
