import { ApiClient, expectError } from '../harness/api-client';
import { auditRows, registerOrganization, TestOrganization } from '../harness/factories';
import {
  createUser,
  detailLines,
  liveRefreshTokens,
  login,
  NEW_PASSWORD,
  PASSWORD,
  passwordChangedAt,
  PasswordsTestApp,
  refresh,
  setPolicy,
  signIn,
  startPasswordsApp,
} from './passwords-harness';

/** POST /auth/change-password (decisions §10), over HTTP against PostgreSQL. */
describe('change-password', () => {
  let app: PasswordsTestApp;
  let org: TestOrganization;

  beforeAll(async () => {
    app = await startPasswordsApp();
    org = await registerOrganization(app.t, 'Change');
  });
  afterAll(async () => app?.close());

  it('sets the new password; the session that names its refresh token stays, every other refresh token dies; audited', async () => {
    const user = await createUser(app.t, org);
    const mine = await signIn(org, user);
    const otherDevice = await signIn(org, user);
    const before = await passwordChangedAt(app.t, user.id);

    const changed = await mine.client.post('/auth/change-password', {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      refreshToken: mine.refreshToken,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({});

    expectError(await login(org, user), 401, 'UNAUTHORIZED');
    expect((await login(org, { ...user, password: NEW_PASSWORD })).status).toBe(200);
    expect((await passwordChangedAt(app.t, user.id)).getTime()).toBeGreaterThan(before.getTime());

    expectError(await refresh(org.anonymous, otherDevice.refreshToken), 401, 'UNAUTHORIZED');
    expect((await refresh(org.anonymous, mine.refreshToken)).status).toBe(200);

    const rows = (await auditRows(app.t, org.id)).filter((row) => row.event_type === 'PASSWORD_CHANGE');
    expect(rows.map((row) => [row.result, row.actor_id, row.resource_id, row.resource_name])).toEqual([
      ['SUCCESS', user.id, user.id, user.email],
    ]);
    expect(JSON.stringify(rows)).not.toContain(NEW_PASSWORD);
  });

  it('without a refresh token in the body, every refresh token of the user dies', async () => {
    const user = await createUser(app.t, org);
    const first = await signIn(org, user);
    await signIn(org, user);
    expect(await liveRefreshTokens(app.t, user.id)).toBe(2);

    const changed = await first.client.post('/auth/change-password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(changed.status).toBe(200);
    expect(await liveRefreshTokens(app.t, user.id)).toBe(0);
  });

  it("keeps no session for a refresh token that is not the caller's own", async () => {
    const user = await createUser(app.t, org);
    const other = await createUser(app.t, org);
    const mine = await signIn(org, user);
    const theirs = await signIn(org, other);
    const changed = await mine.client.post('/auth/change-password', {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      refreshToken: theirs.refreshToken,
    });
    expect(changed.status).toBe(200);
    expect(await liveRefreshTokens(app.t, user.id)).toBe(0);
    // The other user's session is not touched either.
    expect(await liveRefreshTokens(app.t, other.id)).toBe(1);
  });

  it('refuses a wrong current password with 401 "Current password is incorrect", changes nothing, and audits the refusal', async () => {
    const user = await createUser(app.t, org);
    const mine = await signIn(org, user);
    const refused = await mine.client.post('/auth/change-password', { currentPassword: 'Not my password 1', newPassword: NEW_PASSWORD });
    expectError(refused, 401, 'UNAUTHORIZED');
    expect(refused.body.message).toBe('Current password is incorrect');
    expect((await login(org, user)).status).toBe(200);
    expect(await liveRefreshTokens(app.t, user.id)).toBe(2);
    const rows = (await auditRows(app.t, org.id)).filter((row) => row.event_type === 'PASSWORD_CHANGE' && row.actor_id === user.id);
    expect(rows.map((row) => [row.result, row.error_code])).toEqual([['FAILURE', 'UNAUTHORIZED']]);
  });

  it('refuses the current password as the new one with 400 VALIDATION_ERROR under newPassword', async () => {
    const user = await createUser(app.t, org);
    const mine = await signIn(org, user);
    const refused = await mine.client.post('/auth/change-password', { currentPassword: PASSWORD, newPassword: PASSWORD });
    expectError(refused, 400, 'VALIDATION_ERROR');
    expect(refused.body.details).toEqual([{ field: 'newPassword', message: 'must differ from the current password' }]);
    expect((await login(org, user)).status).toBe(200);
  });

  it("applies the organization's policy, each broken rule under newPassword, and nothing changes", async () => {
    const strict = await registerOrganization(app.t, 'Strict');
    await setPolicy(strict, { passwordMinLength: 14, passwordRequireSpecialChar: true });
    const user = await createUser(app.t, strict);
    const mine = await signIn(strict, user);
    const refused = await mine.client.post('/auth/change-password', { currentPassword: PASSWORD, newPassword: 'short' });
    expectError(refused, 400, 'VALIDATION_ERROR');
    expect(detailLines(refused)).toEqual([
      'newPassword: must be at least 14 characters long',
      'newPassword: must contain a digit',
      'newPassword: must contain a special character',
      'newPassword: must contain an upper-case letter',
    ]);
    expect((await login(strict, user)).status).toBe(200);
    const accepted = await mine.client.post('/auth/change-password', { currentPassword: PASSWORD, newPassword: 'Longer secret #42' });
    expect(accepted.status).toBe(200);
  });

  it('is open to every signed-in user, and to nobody else', async () => {
    expectError(
      await new ApiClient(app.t.baseUrl).post('/auth/change-password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
      401,
      'UNAUTHORIZED',
    );
    const admin = await org.admin.post('/auth/change-password', {
      currentPassword: org.password,
      newPassword: 'Admin changed it 9',
      refreshToken: org.auth.refreshToken,
    });
    expect(admin.status).toBe(200);
    org.password = 'Admin changed it 9';
  });

  it('lets exactly one of two concurrent changes from the same current password win', async () => {
    for (let round = 0; round < 5; round++) {
      const user = await createUser(app.t, org);
      const mine = await signIn(org, user);
      const [a, b] = await Promise.all([
        mine.client.post('/auth/change-password', { currentPassword: PASSWORD, newPassword: 'Racing password A1' }),
        mine.client.post('/auth/change-password', { currentPassword: PASSWORD, newPassword: 'Racing password B2' }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 401]);
      const winner = a.status === 200 ? 'Racing password A1' : 'Racing password B2';
      expect((await login(org, { ...user, password: winner })).status).toBe(200);
    }
  });
});
