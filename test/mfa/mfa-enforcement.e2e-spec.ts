import { ApiClient, expectError } from '../harness/api-client';
import { awsCredentialBody, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import {
  challenge,
  codeAt,
  createUser,
  enableMfa,
  login,
  memberWithMfa,
  MfaUser,
  mfaSuite,
  PinnedClock,
  setMfaRequired,
  verify,
} from './mfa-harness';

const AUTH_KEYS = ['accessToken', 'expiresIn', 'refreshToken', 'tokenType', 'user'];

/** Routes a restricted token must not reach, with a body that would otherwise pass validation. */
const REFUSED: Array<[string, string, unknown?]> = [
  ['GET', '/credentials'],
  ['POST', '/credentials', awsCredentialBody()],
  ['GET', '/users'],
  ['GET', '/roles'],
  ['GET', '/organization/settings'],
  ['PATCH', '/organization/settings', { mfaRequired: false }],
  ['GET', '/audit-logs'],
  ['POST', '/auth/change-password', { currentPassword: 'Mfa password 1', newPassword: 'Another password 2' }],
  ['POST', '/mfa/disable', { code: '123456' }],
  ['POST', '/mfa/recovery-codes/regenerate', { code: '123456' }],
];

/** Organization enforcement (decisions §11): mfaRequired in the organization settings. */
describe('MFA required by the organization', () => {
  let t: TestApp;
  let org: TestOrganization;
  let clock: PinnedClock;

  mfaSuite('Mfa enforced', async (suite) => {
    ({ t, org, clock } = suite);
    // The admin first: once MFA is required, an admin without it reaches only setup too.
    await enableMfa(org.admin, clock);
    await setMfaRequired(org, true);
  });

  async function restrictedUser(role: 'USER' | 'ORG_ADMIN' = 'USER'): Promise<MfaUser & { client: ApiClient; body: any }> {
    const user = await createUser(t, org, role);
    const response = await login(org, user);
    expect(response.status).toBe(200);
    return { ...user, client: org.anonymous.as(response.body.accessToken), body: response.body };
  }

  it('signs in a user without MFA with the auth response and mfaSetupRequired: true', async () => {
    const user = await restrictedUser();
    expect(Object.keys(user.body).sort()).toEqual([...AUTH_KEYS, 'mfaSetupRequired'].sort());
    expect(user.body).toMatchObject({ mfaSetupRequired: true, tokenType: 'Bearer', user: { id: user.id } });
    // The refresh answer says so too, while it holds.
    const refreshed = await org.anonymous.post('/auth/refresh', { refreshToken: user.body.refreshToken });
    expect(refreshed.body.mfaSetupRequired).toBe(true);
  });

  it('lets that token reach only MFA setup, /auth/me and logout: 403 FORBIDDEN everywhere else, for a member and an admin', async () => {
    for (const role of ['USER', 'ORG_ADMIN'] as const) {
      const user = await restrictedUser(role);
      for (const [method, path, body] of REFUSED) {
        const response = await user.client.request(method, path, body);
        try {
          expectError(response, 403, 'FORBIDDEN');
        } catch {
          throw new Error(`${role} ${method} ${path}: expected 403 FORBIDDEN, got ${response.status} ${response.text}`);
        }
        if (role === 'ORG_ADMIN') expect(response.body.message).toMatch(/requires MFA/);
      }
      expect((await user.client.get('/auth/me')).body).toMatchObject({ id: user.id });
      expect((await user.client.post('/mfa/setup')).status).toBe(200);
      expect((await user.client.post('/auth/logout', { refreshToken: user.body.refreshToken })).status).toBe(200);
    }
    expect((await t.db.query(`SELECT count(*)::int AS n FROM credentials WHERE organization_id = $1`, [org.id])).rows[0].n).toBe(0);
  });

  it('lifts the restriction on the same token from the request after MFA is confirmed', async () => {
    const user = await restrictedUser('ORG_ADMIN');
    expectError(await user.client.get('/credentials'), 403, 'FORBIDDEN');
    const setup = await user.client.post('/mfa/setup');
    const confirmed = await user.client.post('/mfa/setup/confirm', {
      secret: setup.body.secret,
      code: codeAt(setup.body.secret, clock.tick()),
    });
    expect(confirmed.status).toBe(200);
    for (const [method, path] of [
      ['GET', '/credentials'],
      ['GET', '/users'],
      ['GET', '/organization/settings'],
    ]) {
      expect({ path, status: (await user.client.request(method, path)).status }).toEqual({ path, status: 200 });
    }
    expect((await user.client.post('/credentials', awsCredentialBody())).status).toBe(201);
    // And the next sign-in asks for the second factor, with no restriction after it.
    const done = await verify(org, await challenge(org, user), codeAt(setup.body.secret, clock.tick()));
    expect(Object.keys(done.body).sort()).toEqual(AUTH_KEYS);
  });

  it('refuses to disable MFA while the organization requires it: 400 MFA_REQUIRED_BY_ORGANIZATION, and MFA stays on', async () => {
    const user = await memberWithMfa(t, org, clock);
    const refused = await user.client.post('/mfa/disable', { code: codeAt(user.secret, clock.tick()) });
    expectError(refused, 400, 'MFA_REQUIRED_BY_ORGANIZATION');
    expect((await t.db.query(`SELECT mfa_enabled_at IS NOT NULL AS on FROM users WHERE id = $1`, [user.id])).rows[0].on).toBe(true);
    // The code was not spent by the refusal: it still signs in.
    expect((await verify(org, await challenge(org, user), codeAt(user.secret, clock.step))).status).toBe(200);
  });

  it('restricts, from its next request, the token of a user whose organization starts requiring MFA, and frees it when the requirement ends', async () => {
    const other = await registerOrganization(t, 'Mfa later');
    const member = await createUser(t, other);
    const client = other.anonymous.as((await login(other, member)).body.accessToken);
    expect(
      (await client.post('/auth/change-password', { currentPassword: member.password, newPassword: member.password + 'x' })).status,
    ).toBe(200);
    await setMfaRequired(other, true);
    // Its own admin too: the settings route is out of reach until the admin sets MFA up.
    expectError(await other.admin.get('/organization/settings'), 403, 'FORBIDDEN');
    expectError(
      await client.post('/auth/change-password', { currentPassword: member.password + 'x', newPassword: member.password }),
      403,
      'FORBIDDEN',
    );
    await enableMfa(other.admin, clock);
    await setMfaRequired(other, false);
    expect(
      (await client.post('/auth/change-password', { currentPassword: member.password + 'x', newPassword: member.password })).status,
    ).toBe(200);
  });
});
