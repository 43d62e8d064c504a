import { randomUUID } from 'node:crypto';
import { ApiClient, ApiResponse, expectError } from '../harness/api-client';
import { startTestApp, TestApp } from '../harness/test-app';

function expectRateLimited(response: ApiResponse): void {
  expectError(response, 429, 'RATE_LIMIT_EXCEEDED');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  // An hour-long window.
  expect(retryAfter).toBeLessThanOrEqual(3600);
}

/**
 * Forgot-password's limits (decisions §10): RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR per client IP, and
 * 3 an hour per address (organization slug + email, any case), whichever IP asks. Counters are in
 * memory: each scenario boots its own instance. TRUST_PROXY lets the test speak from several IPs.
 * Nobody here exists: the limits do not depend on it (which would tell who does).
 */
describe('forgot-password rate limits', () => {
  const from = (t: TestApp, ip: string) => new ApiClient(t.baseUrl).withHeaders({ 'x-forwarded-for': ip });
  const address = () => ({ organizationSlug: `acme-${randomUUID().slice(0, 8)}`, email: `who-${randomUUID().slice(0, 8)}@example.test` });

  describe('per IP: RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR=2', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR: '2', TRUST_PROXY: '127.0.0.1' });
    });
    afterAll(async () => t.close());

    it('refuses the 3rd request from one IP with 429 and Retry-After; another IP and other routes are unaffected', async () => {
      const one = from(t, '203.0.113.10');
      expect((await one.post('/auth/forgot-password', address())).status).toBe(204);
      expect((await one.post('/auth/forgot-password', address())).status).toBe(204);
      expectRateLimited(await one.post('/auth/forgot-password', address()));
      // Counted before validation: an invalid body over the limit is refused as over the limit.
      expectRateLimited(await one.post('/auth/forgot-password', {}));

      expect((await from(t, '203.0.113.11').post('/auth/forgot-password', address())).status).toBe(204);
      expectError(await one.post('/auth/login', { ...address(), password: 'Whatever 123' }), 401, 'UNAUTHORIZED');
      expectError(await one.post('/auth/reset-password', { token: 'C'.repeat(43), password: 'Whatever 123' }), 400, 'INVALID_TOKEN');
    });
  });

  describe('per address: 3 an hour', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR: '1000', TRUST_PROXY: '127.0.0.1' });
    });
    afterAll(async () => t.close());

    it('refuses the 4th request for one address from any IP, in any case or spacing; other addresses are unaffected', async () => {
      const target = address();
      const variants = [
        target,
        { ...target, email: target.email.toUpperCase() },
        { organizationSlug: ` ${target.organizationSlug.toUpperCase()} `, email: ` ${target.email} ` },
      ];
      for (const [index, body] of variants.entries()) {
        expect((await from(t, `198.51.100.${index + 1}`).post('/auth/forgot-password', body)).status).toBe(204);
      }
      expectRateLimited(await from(t, '198.51.100.99').post('/auth/forgot-password', target));
      expectRateLimited(await from(t, '198.51.100.98').post('/auth/forgot-password', { ...target, email: target.email.toUpperCase() }));

      // The same email in another organization is another address.
      expect((await from(t, '198.51.100.99').post('/auth/forgot-password', { ...target, organizationSlug: 'other-org' })).status).toBe(204);
      expect((await from(t, '198.51.100.99').post('/auth/forgot-password', address())).status).toBe(204);
    });

    it('keeps the email out of the logs', async () => {
      const target = address();
      await from(t, '192.0.2.1').post('/auth/forgot-password', target);
      expect(t.logs.filter((line) => line.includes(target.email))).toEqual([]);
    });
  });
});
