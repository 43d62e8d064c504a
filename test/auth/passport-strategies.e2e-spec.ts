import passport from 'passport';
import { ApiClient, expectError } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';

const OTHER_SECRET = 'another-jwt-secret-that-is-long-enough-9876543210';

/** passport's strategy registry is one per process; each app must keep its own strategies. */
function registeredStrategies(): string[] {
  return Object.keys((passport as unknown as { _strategies: Record<string, unknown> })._strategies);
}

describe('passport: access tokens through passport-jwt, one set of strategies per app', () => {
  let first: TestApp;
  let second: TestApp;
  let firstOrg: TestOrganization;
  let secondOrg: TestOrganization;

  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({ JWT_SECRET: OTHER_SECRET });
    firstOrg = await registerOrganization(first, 'Passport First');
    secondOrg = await registerOrganization(second, 'Passport Second');
  });

  afterAll(async () => {
    await second?.close();
  });

  it('two apps in one process each accept only tokens signed with their own secret', async () => {
    expect((await firstOrg.admin.get('/auth/me')).status).toBe(200);
    expect((await secondOrg.admin.get('/auth/me')).status).toBe(200);
    // Same database, same user rows: only the secret differs, so a shared strategy would accept both.
    expectError(await new ApiClient(second.baseUrl, firstOrg.auth.accessToken).get('/auth/me'), 401, 'UNAUTHORIZED');
    expectError(await new ApiClient(first.baseUrl, secondOrg.auth.accessToken).get('/auth/me'), 401, 'UNAUTHORIZED');
  });

  it('registers its strategy under a name of its own, and removes it when the app closes', async () => {
    const before = registeredStrategies().filter((name) => name.startsWith('jwt:'));
    expect(before.length).toBeGreaterThanOrEqual(2);
    await first.close();
    const after = registeredStrategies().filter((name) => name.startsWith('jwt:'));
    expect(after).toHaveLength(before.length - 1);
    expect((await secondOrg.admin.get('/auth/me')).status).toBe(200);
  });

  it('accepts the Bearer scheme in any letter case (RFC 7235)', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const response = await secondOrg.anonymous.get('/auth/me', { authorization: `${scheme} ${secondOrg.auth.accessToken}` });
      expect(response.status).toBe(200);
    }
  });

  it("never answers with passport's own text", async () => {
    for (const authorization of ['Bearer not-a-jwt', 'Bearer a.b.c', 'Basic abc', '']) {
      const response = await secondOrg.anonymous.get('/auth/me', authorization ? { authorization } : {});
      expectError(response, 401, 'UNAUTHORIZED');
      expect(response.text).not.toMatch(/jwt|No auth token|invalid signature|malformed/i);
    }
  });
});
