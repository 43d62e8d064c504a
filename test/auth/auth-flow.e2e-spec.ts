import { ApiClient, expectError } from '../harness/api-client';
import { auditRows, registerOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';

describe('identity: register, login, me, refresh rotation, logout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('walks the whole token lifecycle, and a reused refresh token revokes its family', async () => {
    const org = await registerOrganization(t, 'Tech@Startup');
    expect(org.slug).toMatch(/^tech-startup-[0-9a-f]{8}$/);
    expect(org.auth).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(org.auth.user).toMatchObject({ isOrgAdmin: true, email: org.email, subscriptionTier: 'FREE', organizationSlug: org.slug });

    const login = await org.anonymous.post('/auth/login', {
      organizationSlug: org.slug,
      email: org.email.toUpperCase(),
      password: org.password,
    });
    expect(login.status).toBe(200);
    const client = org.anonymous.as(login.body.accessToken);

    const me = await client.get('/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: org.auth.user.id, email: org.email, organizationId: org.id });

    const first = login.body.refreshToken as string;
    const rotated = await org.anonymous.post('/auth/refresh', { refreshToken: first });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refreshToken).not.toBe(first);
    const second = rotated.body.refreshToken as string;

    // The old token again: refused, and the whole family (including `second`) dies.
    expectError(await org.anonymous.post('/auth/refresh', { refreshToken: first }), 401, 'UNAUTHORIZED');
    expectError(await org.anonymous.post('/auth/refresh', { refreshToken: second }), 401, 'UNAUTHORIZED');
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS alive FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL AND used_at IS NULL`,
      [org.auth.user.id],
    );
    // Only the registration's own family is still alive.
    expect(rows[0].alive).toBe(1);

    const logout = await org.anonymous.post('/auth/logout', { refreshToken: org.auth.refreshToken });
    expect(logout.status).toBe(200);
    expect(logout.body).toEqual({});
    expectError(await org.anonymous.post('/auth/refresh', { refreshToken: org.auth.refreshToken }), 401, 'UNAUTHORIZED');
    expect((await org.anonymous.post('/auth/logout', {})).status).toBe(200);
    expect((await org.anonymous.post('/auth/logout', { refreshToken: 'never-issued' })).status).toBe(200);

    const events = (await auditRows(t, org.id)).map((row) => `${row.event_type}:${row.result}`);
    expect(events).toEqual(['USER_REGISTER:SUCCESS', 'USER_LOGIN:SUCCESS', 'USER_LOGOUT:SUCCESS']);
  });

  it('gives the same 401 for a wrong password, an unknown email and an unknown organization, and audits the failure', async () => {
    const org = await registerOrganization(t);
    const attempts = [
      { organizationSlug: org.slug, email: org.email, password: 'wrong password' },
      { organizationSlug: org.slug, email: 'nobody@example.test', password: org.password },
      { organizationSlug: 'no-such-org-anywhere', email: org.email, password: org.password },
    ];
    const bodies = [];
    for (const attempt of attempts) {
      const response = await org.anonymous.post('/auth/login', attempt);
      expectError(response, 401, 'UNAUTHORIZED');
      bodies.push(response.body.message);
    }
    expect(new Set(bodies).size).toBe(1);
    const failures = (await auditRows(t, org.id)).filter((row) => row.event_type === 'USER_LOGIN');
    expect(failures.map((row) => [row.result, row.actor_email])).toEqual([
      ['FAILURE', org.email],
      ['FAILURE', 'nobody@example.test'],
    ]);
  });

  it('refuses a taken slug with 409 and bad bodies with 400 details', async () => {
    const org = await registerOrganization(t);
    const taken = await org.anonymous.post('/auth/register', {
      organizationName: org.name,
      email: 'x@example.test',
      password: 'Password 123',
    });
    expectError(taken, 409, 'ORGANIZATION_ALREADY_EXISTS');

    const bad = await org.anonymous.post('/auth/register', { organizationName: '', email: 'not-an-email', password: 'Short1' });
    expectError(bad, 400, 'VALIDATION_ERROR');
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['email', 'organizationName', 'password']);

    const symbols = await org.anonymous.post('/auth/register', {
      organizationName: '!!!',
      email: 'y@example.test',
      password: 'Password 123',
    });
    expectError(symbols, 400, 'VALIDATION_ERROR');
  });

  it('lets exactly one of two concurrent refreshes of one token win, then ends that family', async () => {
    for (let round = 0; round < 10; round++) {
      const org = await registerOrganization(t);
      const [a, b] = await Promise.all([
        org.anonymous.post('/auth/refresh', { refreshToken: org.auth.refreshToken }),
        org.anonymous.post('/auth/refresh', { refreshToken: org.auth.refreshToken }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 401]);
      // The loser presented a token already rotated: theft is assumed, so the winner's new token dies too.
      const winner = a.status === 200 ? a : b;
      expectError(await org.anonymous.post('/auth/refresh', { refreshToken: winner.body.refreshToken }), 401, 'UNAUTHORIZED');
      const { rows } = await t.db.query('SELECT count(*)::int AS alive FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [
        org.auth.user.id,
      ]);
      expect(rows[0].alive).toBe(0);
    }
  });

  it('answers /auth/me without a token with 401', async () => {
    expectError(await new ApiClient(t.baseUrl).get('/auth/me'), 401, 'UNAUTHORIZED');
  });
});
