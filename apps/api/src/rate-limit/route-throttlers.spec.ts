import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SkipThrottle, Throttle, ThrottlerOptions } from '@nestjs/throttler';
import { routeThrottlers, settingsFor } from './route-throttlers';

const moduleTracker = () => 'module';
const moduleKey = () => 'module-key';
const THROTTLERS: ThrottlerOptions[] = [
  { name: 'user', limit: 10, ttl: 60_000 },
  { name: 'login', limit: 3, ttl: 60_000, blockDuration: 120_000, skipIf: () => true },
];

@SkipThrottle({ login: true })
class Controller {
  plain(): void {}

  @Throttle({ user: { limit: 2, ttl: 1_000, blockDuration: 5_000 } })
  limited(): void {}

  @SkipThrottle({ user: true })
  skipped(): void {}
}

function contextOf(handler: keyof Controller): ExecutionContext {
  return { getHandler: () => Controller.prototype[handler], getClass: () => Controller } as unknown as ExecutionContext;
}

function routeOf(handler: keyof Controller) {
  const context = contextOf(handler);
  const common = { skipIf: () => false, getTracker: moduleTracker, generateKey: moduleKey };
  return { context, throttlers: routeThrottlers(new Reflector(), THROTTLERS, common, context) };
}

describe('routeThrottlers', () => {
  it("takes the throttler's options, the module's tracker and key, and a class-level skip", () => {
    const { context, throttlers } = routeOf('plain');
    const [user, login] = throttlers;
    expect(user).toMatchObject({ skip: false, limit: 10, ttl: 60_000, getTracker: moduleTracker, generateKey: moduleKey });
    expect(user.skipIf?.(context)).toBe(false); // the module's
    expect(settingsFor(context, user)).toEqual({ limit: 10, ttl: 60_000, blockDuration: 60_000 });
    expect(login.skip).toBe(true);
    expect(login.skipIf?.(context)).toBe(true); // the throttler's own wins over the module's
  });

  it("lets a handler's @Throttle() override the throttler's numbers", () => {
    const { context, throttlers } = routeOf('limited');
    expect(settingsFor(context, throttlers[0])).toEqual({ limit: 2, ttl: 1_000, blockDuration: 5_000 });
  });

  it("skips what a handler's @SkipThrottle() names", () => {
    expect(routeOf('skipped').throttlers.map((route) => route.skip)).toEqual([true, true]);
  });

  it('resolves functions in order, and refuses what is not a number as the guard does', async () => {
    const { context, throttlers } = routeOf('plain');
    const calls: string[] = [];
    const route = {
      ...throttlers[0],
      limit: () => (calls.push('limit'), 4),
      ttl: async () => (calls.push('ttl'), 2_000),
    };
    await expect(settingsFor(context, route)).resolves.toEqual({ limit: 4, ttl: 2_000, blockDuration: 2_000 });
    expect(calls).toEqual(['limit', 'ttl']);
    expect(() => settingsFor(context, { ...route, limit: Number.NaN, ttl: 1 })).toThrow('Invalid "limit" for the "user" throttler');
  });
});
