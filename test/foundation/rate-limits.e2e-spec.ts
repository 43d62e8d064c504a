import { ApiClient, ApiResponse, expectError } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';

/** Asserts a 429 in the envelope, with a plain whole number of seconds in Retry-After. */
export function expectRateLimited(response: ApiResponse, maxSeconds: number): void {
  expectError(response, 429, 'RATE_LIMIT_EXCEEDED');
  const retryAfter = response.headers.get('retry-after');
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(maxSeconds);
}

const badRefresh = { refreshToken: 'not-a-real-refresh-token' };

/**
 * Counters are in memory here (no REDIS_URL): each app instance has its own, so every
 * scenario boots its own instance. Organizations are registered through a separate,
 * unlimited instance on the same database, so registering costs the limited one nothing.
 */
describe('rate limits (in memory), decisions §7', () => {
  let seed: TestApp;
  beforeAll(async () => {
    seed = await startTestApp();
  });
  afterAll(async () => seed.close());

  describe('anonymous: RATE_LIMIT_ANONYMOUS_PER_MINUTE=5', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '5' });
    });
    afterAll(async () => t.close());

    it('serves 5 anonymous requests across public routes and refuses the 6th with 429 and Retry-After', async () => {
      const anonymous = new ApiClient(t.baseUrl);
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await anonymous.post('/auth/refresh', badRefresh)).status);
      }
      statuses.push((await anonymous.post('/auth/login', {})).status);
      statuses.push((await anonymous.post('/auth/logout', {})).status);
      expect(statuses).toEqual([401, 401, 401, 400, 200]);

      expectRateLimited(await anonymous.post('/auth/refresh', badRefresh), 60);
      expectRateLimited(await anonymous.post('/auth/logout', {}), 60);
      // The guard runs before the validation pipe: an invalid body is refused as over the limit too.
      expectRateLimited(await anonymous.post('/auth/login', {}), 60);
    });

    it('does not count authenticated users against the anonymous limit of their IP', async () => {
      const org = await registerOrganization(seed, 'RL Anon');
      const client = new ApiClient(t.baseUrl, org.auth.accessToken);
      for (let i = 0; i < 8; i++) {
        expect((await client.get('/auth/me')).status).toBe(200);
      }
    });
  });

  describe('login: RATE_LIMIT_LOGIN_PER_MINUTE=3', () => {
    let t: TestApp;
    let org: TestOrganization;
    beforeAll(async () => {
      t = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '3' });
      org = await registerOrganization(seed, 'RL Login');
    });
    afterAll(async () => t.close());

    it('refuses the 4th login from one IP with 429, even with the right password, and leaves other public routes alone', async () => {
      const anonymous = new ApiClient(t.baseUrl);
      const wrong = { organizationSlug: org.slug, email: org.email, password: 'wrong password' };
      for (let i = 0; i < 3; i++) {
        expectError(await anonymous.post('/auth/login', wrong), 401, 'UNAUTHORIZED');
      }
      expectRateLimited(await anonymous.post('/auth/login', { ...wrong, password: org.password }), 60);
      // Only login has this bucket: refresh is still answered on its merits.
      expectError(await anonymous.post('/auth/refresh', badRefresh), 401, 'UNAUTHORIZED');
      // Audit: three refused logins, the rate-limited one never reached the password check.
      const { rows } = await t.db.query(`SELECT result FROM audit_logs WHERE organization_id = $1 AND event_type = 'USER_LOGIN'`, [org.id]);
      expect(rows.map((row) => row.result)).toEqual(['FAILURE', 'FAILURE', 'FAILURE']);
    });
  });

  describe('register: RATE_LIMIT_REGISTER_PER_HOUR=2', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ RATE_LIMIT_REGISTER_PER_HOUR: '2' });
    });
    afterAll(async () => t.close());

    it('refuses the 3rd registration from one IP with 429, and creates nothing for it', async () => {
      const suffix = Date.now().toString(36);
      const bodies = [1, 2, 3].map((i) => ({
        organizationName: `RL Register ${suffix} ${i}`,
        email: `r${i}@example.test`,
        password: 'Password 123',
      }));
      const anonymous = new ApiClient(t.baseUrl);
      expect((await anonymous.post('/auth/register', bodies[0])).status).toBe(201);
      expect((await anonymous.post('/auth/register', bodies[1])).status).toBe(201);
      const third = await anonymous.post('/auth/register', bodies[2]);
      // An hour-long window: Retry-After may be up to 3600 seconds.
      expectRateLimited(third, 3600);
      const { rows } = await t.db.query(`SELECT name FROM organizations WHERE name LIKE $1 ORDER BY name`, [`RL Register ${suffix} %`]);
      expect(rows.map((row) => row.name)).toEqual([bodies[0].organizationName, bodies[1].organizationName]);
      // Login is a different bucket: not limited by registrations.
      expectError(
        await anonymous.post('/auth/login', { organizationSlug: 'nope', email: 'r1@example.test', password: 'password 123' }),
        401,
        'UNAUTHORIZED',
      );
    });
  });

  describe('authenticated: RATE_LIMIT_USER_PER_MINUTE=4', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ RATE_LIMIT_USER_PER_MINUTE: '4', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '2' });
    });
    afterAll(async () => t.close());

    it("refuses a user's 5th request across routes with 429, per user: another user of the same IP is unaffected", async () => {
      const first = await registerOrganization(seed, 'RL User A');
      const second = await registerOrganization(seed, 'RL User B');
      const a = new ApiClient(t.baseUrl, first.auth.accessToken);
      const b = new ApiClient(t.baseUrl, second.auth.accessToken);

      expect((await a.get('/auth/me')).status).toBe(200);
      expect((await a.get('/credentials')).status).toBe(200);
      expect((await a.get('/resources')).status).toBe(200);
      expect((await a.get('/auth/me')).status).toBe(200);
      expectRateLimited(await a.get('/credentials'), 60);
      expectRateLimited(await a.get('/auth/me'), 60);

      for (let i = 0; i < 4; i++) {
        expect((await b.get('/auth/me')).status).toBe(200);
      }
      expectRateLimited(await b.get('/auth/me'), 60);
    });

    it('answers 401 before 429: an invalid token is refused as such, not counted as the user', async () => {
      const org = await registerOrganization(seed, 'RL Order');
      const client = new ApiClient(t.baseUrl, org.auth.accessToken);
      for (let i = 0; i < 4; i++) {
        expect((await client.get('/auth/me')).status).toBe(200);
      }
      expectRateLimited(await client.get('/auth/me'), 60);
      expectError(await new ApiClient(t.baseUrl, `${org.auth.accessToken}x`).get('/auth/me'), 401, 'UNAUTHORIZED');
    });

    // APP BUG: @SkipThrottle() only skips a throttler named "default"; ours are named user,
    // anonymous, login and register, so the health endpoints count against (and are refused
    // by) the anonymous limit. See the report.
    it('never limits the health endpoints (anonymous limit here is 2)', async () => {
      const anonymous = new ApiClient(t.baseUrl);
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        statuses.push((await anonymous.get('/health/live')).status, (await anonymous.get('/health/ready')).status);
      }
      expect(statuses).toEqual(Array(10).fill(200));
    });
  });

  describe('review finding 10: refused tokens and unknown routes count against the anonymous per-IP limit (5)', () => {
    let t: TestApp;
    beforeEach(async () => {
      t = await startTestApp({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '5' });
    });
    afterEach(async () => t.close());

    it('five bad tokens are 401, the sixth is 429 with Retry-After', async () => {
      const forged = new ApiClient(t.baseUrl, 'a.b.c');
      for (let i = 0; i < 5; i++) {
        expectError(await forged.get('/credentials'), 401, 'UNAUTHORIZED');
      }
      expectRateLimited(await forged.get('/credentials'), 60);
      // One budget per IP: an anonymous public route from the same address is refused too.
      expectRateLimited(await new ApiClient(t.baseUrl).post('/auth/refresh', badRefresh), 60);
    });

    it('unknown routes count too, and share the budget with bad tokens', async () => {
      const anonymous = new ApiClient(t.baseUrl);
      for (let i = 0; i < 3; i++) {
        expectError(await anonymous.get(`/no-such-route-${i}`), 404, 'NOT_FOUND');
      }
      for (let i = 0; i < 2; i++) {
        expectError(await anonymous.as('a.b.c').get('/auth/me'), 401, 'UNAUTHORIZED');
      }
      expectRateLimited(await anonymous.get('/no-such-route'), 60);
    });

    it("a signed-in user's own requests do not spend the anonymous budget of their IP", async () => {
      const org = await registerOrganization(seed, 'RL Known');
      const client = new ApiClient(t.baseUrl, org.auth.accessToken);
      for (let i = 0; i < 6; i++) {
        expect((await client.get('/auth/me')).status).toBe(200);
      }
    });
  });
});
