import Redis from 'ioredis';
import { ApiClient, ApiResponse, expectError } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { startTcpProxy } from '../harness/tcp-proxy';
import { startTestApp, TestApp } from '../harness/test-app';

const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = 6379;

function expectRateLimited(response: ApiResponse): void {
  expectError(response, 429, 'RATE_LIMIT_EXCEEDED');
  expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(60);
}

/** The Redis key of a user's per-minute counter (see rate-limit.module.ts and the Redis storage). */
const userHitKey = (userId: string) => `{entryguard:rl:user:user:${userId}:user}:hits`;

/**
 * Waits until `app` really counts in Redis (its client connects asynchronously, and while it is
 * not ready the storage fails open, so an early request would go uncounted). Each probe is a
 * request by `probe`, a throwaway user; an uncounted probe costs nothing.
 */
async function waitUntilCounting(app: TestApp, probe: TestOrganization, redis: Redis): Promise<void> {
  const client = new ApiClient(app.baseUrl, probe.auth.accessToken);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const before = Number((await redis.get(userHitKey(probe.auth.user.id))) ?? 0);
    expect((await client.get('/auth/me')).status).toBe(200);
    if (Number((await redis.get(userHitKey(probe.auth.user.id))) ?? 0) > before) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the app never counted a request in Redis');
}

/**
 * Counters in Redis (decisions §7): instances share them. Every scenario uses fresh users, whose
 * per-user keys no other test touches; organizations are registered through an in-memory
 * instance, so this file never adds to the shared per-IP keys in Redis.
 */
describe('rate limits with REDIS_URL', () => {
  let seed: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    seed = await startTestApp();
    redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });
  afterAll(async () => {
    redis?.disconnect();
    await seed?.close();
  });

  describe('two instances on one Redis', () => {
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      const env = { REDIS_URL: `redis://${REDIS_HOST}:${REDIS_PORT}`, RATE_LIMIT_USER_PER_MINUTE: '10' };
      [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
      const probe = await registerOrganization(seed, 'RL Probe');
      await waitUntilCounting(a, probe, redis);
      await waitUntilCounting(b, probe, redis);
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    it('share one counter per user: 5 on A and 5 on B pass, the 11th is refused on either', async () => {
      const org = await registerOrganization(seed, 'RL Shared');
      const onA = new ApiClient(a.baseUrl, org.auth.accessToken);
      const onB = new ApiClient(b.baseUrl, org.auth.accessToken);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        statuses.push((await onA.get('/auth/me')).status, (await onB.get('/credentials')).status);
      }
      expect(statuses).toEqual(Array(10).fill(200));
      expect(Number(await redis.get(userHitKey(org.auth.user.id)))).toBe(10);

      expectRateLimited(await onA.get('/auth/me'));
      expectRateLimited(await onB.get('/auth/me'));

      // Per user: another user is not affected on either instance.
      const other = await registerOrganization(seed, 'RL Shared Other');
      expect((await new ApiClient(a.baseUrl, other.auth.accessToken).get('/auth/me')).status).toBe(200);
      expect((await new ApiClient(b.baseUrl, other.auth.accessToken).get('/auth/me')).status).toBe(200);
    });
  });

  describe('Redis unreachable: fail open, with a warning', () => {
    it('serves requests beyond the limit when REDIS_URL points at a closed port, and logs the outage', async () => {
      const proxy = await startTcpProxy(REDIS_HOST, REDIS_PORT);
      await proxy.pause();
      const t = await startTestApp({
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        RATE_LIMIT_USER_PER_MINUTE: '2',
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: '2',
      });
      try {
        const org = await registerOrganization(seed, 'RL Closed');
        const client = new ApiClient(t.baseUrl, org.auth.accessToken);
        const statuses = [];
        for (let i = 0; i < 5; i++) {
          statuses.push((await client.get('/auth/me')).status);
          statuses.push((await new ApiClient(t.baseUrl).post('/auth/logout', {})).status);
        }
        expect(statuses).toEqual(Array(10).fill(200));
        expect(t.logs.some((line) => line.includes('Rate-limit store unavailable'))).toBe(true);
      } finally {
        await t.close();
        await proxy.close();
      }
    });

    it('keeps serving when Redis goes away under a running instance, and counts again when it is back', async () => {
      const proxy = await startTcpProxy(REDIS_HOST, REDIS_PORT);
      const t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, RATE_LIMIT_USER_PER_MINUTE: '3' });
      try {
        const probe = await registerOrganization(seed, 'RL Cut Probe');
        await waitUntilCounting(t, probe, redis);
        // Counting works: a fresh user is limited at the 4th request.
        const limited = await registerOrganization(seed, 'RL Cut Limited');
        const limitedClient = new ApiClient(t.baseUrl, limited.auth.accessToken);
        for (let i = 0; i < 3; i++) {
          expect((await limitedClient.get('/auth/me')).status).toBe(200);
        }
        expectRateLimited(await limitedClient.get('/auth/me'));

        await proxy.pause();
        const org = await registerOrganization(seed, 'RL Cut');
        const client = new ApiClient(t.baseUrl, org.auth.accessToken);
        const statuses = [];
        for (let i = 0; i < 6; i++) {
          statuses.push((await client.get('/auth/me')).status);
        }
        expect(statuses).toEqual(Array(6).fill(200));
        expect(t.logs.some((line) => line.includes('Rate-limit store unavailable'))).toBe(true);
        expect(t.logs.some((line) => line.includes('"statusCode":500'))).toBe(false);

        await proxy.resume();
        const fresh = await registerOrganization(seed, 'RL Cut Back');
        await waitUntilCounting(t, fresh, redis);
        const back = new ApiClient(t.baseUrl, fresh.auth.accessToken);
        // The probe counted one; a limit of 3 leaves two more, then 429.
        expect((await back.get('/auth/me')).status).toBe(200);
        expect((await back.get('/auth/me')).status).toBe(200);
        expectRateLimited(await back.get('/auth/me'));
      } finally {
        await t.close();
        await proxy.close();
      }
    });
  });
});
