import { MemoryThrottlerStorage } from './memory-throttler.storage';

describe('MemoryThrottlerStorage', () => {
  let storage: MemoryThrottlerStorage;
  let now: number;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    storage = new MemoryThrottlerStorage();
  });
  afterEach(() => {
    storage.onApplicationShutdown();
    jest.restoreAllMocks();
  });

  it('counts up to the limit, then blocks for the block duration with a Retry-After in seconds', async () => {
    for (let hit = 1; hit <= 3; hit++) {
      expect(await storage.increment('user:a', 60_000, 3, 60_000, 'user')).toMatchObject({ totalHits: hit, isBlocked: false });
    }
    const blocked = await storage.increment('user:a', 60_000, 3, 60_000, 'user');
    expect(blocked).toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
    now += 30_000;
    expect(await storage.increment('user:a', 60_000, 3, 60_000, 'user')).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    now += 30_001;
    expect(await storage.increment('user:a', 60_000, 3, 60_000, 'user')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps separate windows per key and per throttler name', async () => {
    await storage.increment('user:a', 60_000, 1, 60_000, 'user');
    expect(await storage.increment('user:a', 60_000, 1, 60_000, 'user')).toMatchObject({ isBlocked: true });
    expect(await storage.increment('user:b', 60_000, 1, 60_000, 'user')).toMatchObject({ isBlocked: false });
    expect(await storage.increment('user:a', 60_000, 1, 60_000, 'login')).toMatchObject({ isBlocked: false });
  });

  it('starts a new window when the old one has expired', async () => {
    await storage.increment('ip:1', 1_000, 2, 1_000, 'anonymous');
    await storage.increment('ip:1', 1_000, 2, 1_000, 'anonymous');
    now += 1_001;
    expect(await storage.increment('ip:1', 1_000, 2, 1_000, 'anonymous')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
      timeToExpire: 1,
    });
  });
});
