import { randomUUID } from 'node:crypto';
import { expectError, receivedBodies } from '../harness/api-client';
import { auditRows, registerOrganization, TestOrganization } from '../harness/factories';
import {
  createUser,
  detailLines,
  liveRefreshTokens,
  login,
  NEW_PASSWORD,
  PASSWORD,
  PasswordsTestApp,
  refresh,
  setPolicy,
  signIn,
  startPasswordsApp,
} from './passwords-harness';

const INVALID_CHANGE = 'The password change token is invalid or has expired';

/** Password expiry (decisions §10): login's passwordExpired answer and POST /auth/change-expired-password. */
describe('password expiry', () => {
  let app: PasswordsTestApp;
  let org: TestOrganization;

  beforeAll(async () => {
    app = await startPasswordsApp();
    org = await registerOrganization(app.t, 'Expiry');
    await setPolicy(org, { passwordExpirationDays: 30 });
  });
  afterAll(async () => app?.close());

  const changeExpired = (passwordChangeToken: string, newPassword = NEW_PASSWORD) =>
    org.anonymous.post('/auth/change-expired-password', { passwordChangeToken, newPassword });

  async function lastLoginAt(userId: string): Promise<Date | null> {
    return (await app.t.db.query(`SELECT last_login_at FROM users WHERE id = $1`, [userId])).rows[0].last_login_at;
  }

  async function expiredLogin(user: { email: string; password: string }): Promise<string> {
    const answer = await login(org, user);
    expect(answer.status).toBe(200);
    expect(answer.body.passwordExpired).toBe(true);
    return answer.body.passwordChangeToken;
  }

  it('answers an expired password with a change token and no sign-in: no tokens, no last login', async () => {
    const user = await createUser(app.t, org, { passwordAgeDays: 31 });
    const answer = await login(org, user);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      passwordExpired: true,
      passwordChangeToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      accessToken: null,
      refreshToken: null,
      user: null,
    });
    expect(await liveRefreshTokens(app.t, user.id)).toBe(0);
    expect(await lastLoginAt(user.id)).toBeNull();
    const { rows } = await app.t.db.query(
      `SELECT expires_at - created_at AS ttl FROM user_tokens WHERE user_id = $1 AND purpose = 'PASSWORD_CHANGE'`,
      [user.id],
    );
    expect(rows.map((row) => row.ttl)).toEqual([expect.objectContaining({ minutes: 10 })]);
  });

  it('keeps the same 401 for a wrong password, an inactive user and nobody, expired or not', async () => {
    const user = await createUser(app.t, org, { passwordAgeDays: 90 });
    const inactive = await createUser(app.t, org, { passwordAgeDays: 90, isActive: false });
    const messages = new Set<string>();
    for (const attempt of [
      { ...user, password: 'Wrong password 1' },
      inactive,
      { email: `nobody-${randomUUID().slice(0, 8)}@example.test`, password: PASSWORD },
    ]) {
      const answer = await login(org, attempt);
      expectError(answer, 401, 'UNAUTHORIZED');
      messages.add(answer.body.message);
    }
    expect(messages.size).toBe(1);
    const { rows } = await app.t.db.query(`SELECT count(*)::int AS n FROM user_tokens WHERE user_id = ANY($1)`, [[user.id, inactive.id]]);
    expect(rows[0].n).toBe(0);
  });

  it('signs in normally within the limit, and when the organization sets no expiry', async () => {
    const fresh = await createUser(app.t, org, { passwordAgeDays: 29 });
    expect((await login(org, fresh)).body.accessToken).toEqual(expect.any(String));
    const lax = await registerOrganization(app.t, 'No expiry');
    const old = await createUser(app.t, lax, { passwordAgeDays: 4000 });
    expect((await login(lax, old)).body.accessToken).toEqual(expect.any(String));
  });

  it('changes the expired password with the token: 200 auth response, old refresh tokens dead, audited, and the next login is plain', async () => {
    const user = await createUser(app.t, org, { passwordAgeDays: 10 });
    const oldSession = await signIn(org, user);
    await app.t.db.query(`UPDATE users SET password_changed_at = now() - interval '40 days' WHERE id = $1`, [user.id]);
    const token = await expiredLogin(user);

    const changed = await changeExpired(token);
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id: user.id, organizationId: org.id } });
    expect(await lastLoginAt(user.id)).not.toBeNull();
    expectError(await refresh(org.anonymous, oldSession.refreshToken), 401, 'UNAUTHORIZED');
    expect((await refresh(org.anonymous, changed.body.refreshToken)).status).toBe(200);

    expectError(await login(org, user), 401, 'UNAUTHORIZED');
    const next = await login(org, { ...user, password: NEW_PASSWORD });
    expect(next.body.accessToken).toEqual(expect.any(String));
    expect(next.body.passwordExpired).toBeUndefined();

    const rows = (await auditRows(app.t, org.id)).filter((row) => row.event_type === 'PASSWORD_CHANGE' && row.resource_id === user.id);
    expect(rows.map((row) => [row.actor_id, row.result])).toEqual([[user.id, 'SUCCESS']]);
  });

  it('spends the token once; an unknown, spent or expired token is 400 INVALID_TOKEN with one message', async () => {
    const user = await createUser(app.t, org, { passwordAgeDays: 31 });
    const token = await expiredLogin(user);
    expect((await changeExpired(token)).status).toBe(200);
    const spent = await changeExpired(token, 'Yet another secret 4');
    expectError(spent, 400, 'INVALID_TOKEN');
    expect(spent.body.message).toBe(INVALID_CHANGE);
    const unknown = await changeExpired('B'.repeat(43));
    expectError(unknown, 400, 'INVALID_TOKEN');
    expect(unknown.body.message).toBe(INVALID_CHANGE);

    const later = await createUser(app.t, org, { passwordAgeDays: 31 });
    const lateToken = await expiredLogin(later);
    await app.t.db.query(`UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [later.id]);
    const expired = await changeExpired(lateToken);
    expectError(expired, 400, 'INVALID_TOKEN');
    expect(expired.body.message).toBe(INVALID_CHANGE);
  });

  it('refuses the expired password itself and passwords against the policy (under newPassword), and keeps the token usable', async () => {
    const user = await createUser(app.t, org, { passwordAgeDays: 31 });
    const token = await expiredLogin(user);
    const same = await changeExpired(token, PASSWORD);
    expectError(same, 400, 'VALIDATION_ERROR');
    expect(same.body.details).toEqual([{ field: 'newPassword', message: 'must differ from the current password' }]);
    const weak = await changeExpired(token, 'weakling');
    expect(detailLines(weak)).toEqual(['newPassword: must contain a digit', 'newPassword: must contain an upper-case letter']);
    expect((await changeExpired(token)).status).toBe(200);
  });

  it("a newer expired login replaces the earlier change token; a reset token's holder is not a change token's", async () => {
    const user = await createUser(app.t, org, { passwordAgeDays: 31 });
    const first = await expiredLogin(user);
    const second = await expiredLogin(user);
    expectError(await changeExpired(first), 400, 'INVALID_TOKEN');
    // A change token is no reset token, and the other way round.
    expectError(await org.anonymous.post('/auth/reset-password', { token: second, password: NEW_PASSWORD }), 400, 'INVALID_TOKEN');
    expect((await changeExpired(second)).status).toBe(200);
    expect(receivedBodies.filter((body) => body.includes(NEW_PASSWORD))).toEqual([]);
    expect(app.t.logs.filter((line) => line.includes(second) || line.includes(NEW_PASSWORD))).toEqual([]);
  });
});
