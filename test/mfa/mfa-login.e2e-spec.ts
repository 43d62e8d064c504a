import { expectError } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';
import { auditOf, challenge, codeAt, login, memberWithMfa, PinnedClock, verify, mfaSuite } from './mfa-harness';

const AUTH_KEYS = ['accessToken', 'expiresIn', 'refreshToken', 'tokenType', 'user'];

/** Sign-in with MFA (decisions §11): the challenge, POST /auth/verify-mfa, replay, recovery codes, lockout. */
describe('MFA sign-in', () => {
  let t: TestApp;
  let org: TestOrganization;
  let clock: PinnedClock;

  mfaSuite('Mfa login', (suite) => {
    ({ t, org, clock } = suite);
  });

  const challengeRow = async (userId: string) =>
    (
      await t.db.query(
        `SELECT failed_attempts, used_at, round(extract(epoch FROM expires_at - created_at))::int AS ttl FROM user_tokens WHERE user_id = $1 AND purpose = 'MFA_CHALLENGE' ORDER BY created_at DESC LIMIT 1`,
        [userId],
      )
    ).rows[0];

  it('answers the password step with the challenge, exactly as §11 shows it, and signs in nothing yet', async () => {
    const user = await memberWithMfa(t, org, clock);
    const before = (await t.db.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1`, [user.id])).rows[0].n;
    const answer = await login(org, user);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      mfaRequired: true,
      mfaChallengeToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      mfaChallengeExpiresIn: 300,
      accessToken: null,
      refreshToken: null,
      user: null,
    });
    expect((await t.db.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1`, [user.id])).rows[0].n).toBe(before);
    expect((await challengeRow(user.id)).ttl).toBe(300);
    // A wrong password is the same 401 as ever: no challenge.
    expectError(await login(org, { ...user, password: 'Wrong password 1' }), 401, 'UNAUTHORIZED');
  });

  it('completes the sign-in with a current code: the auth response, a working token, a USER_LOGIN row', async () => {
    const user = await memberWithMfa(t, org, clock);
    const token = await challenge(org, user);
    const done = await verify(org, token, codeAt(user.secret, clock.tick()));
    expect(done.status).toBe(200);
    expect(Object.keys(done.body).sort()).toEqual(AUTH_KEYS);
    expect(done.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id: user.id, email: user.email } });
    const me = await org.anonymous.as(done.body.accessToken).get('/auth/me');
    expect(me.body).toMatchObject({ id: user.id });
    const logins = await auditOf(t, user.id, 'USER_LOGIN');
    expect(logins.at(-1)).toMatchObject({ result: 'SUCCESS', details: { mfaMethod: 'TOTP' } });
    // Single use: the spent challenge does not sign in twice, even with a fresh code.
    expectError(await verify(org, token, codeAt(user.secret, clock.tick())), 401, 'UNAUTHORIZED');
  });

  it('accepts the previous step (clock drift) and refuses two steps back, at both edges of a step', async () => {
    for (const second of [0, 29]) {
      const user = await memberWithMfa(t, org, clock);
      const now = clock.tick() + 1;
      clock.set(now, second);
      expectError(await verify(org, await challenge(org, user), codeAt(user.secret, now - 2)), 401, 'UNAUTHORIZED');
      const previous = await verify(org, await challenge(org, user), codeAt(user.secret, now - 1));
      expect({ second, status: previous.status }).toEqual({ second, status: 200 });
      const next = await verify(org, await challenge(org, user), codeAt(user.secret, now + 1));
      expect({ second, status: next.status }).toEqual({ second, status: 200 });
      expectError(await verify(org, await challenge(org, user), codeAt(user.secret, now + 3)), 401, 'UNAUTHORIZED');
    }
  });

  it('accepts a TOTP code once: a replay within its window is 401, on a new challenge too', async () => {
    const user = await memberWithMfa(t, org, clock);
    const code = codeAt(user.secret, clock.tick());
    expect((await verify(org, await challenge(org, user), code)).status).toBe(200);
    const replay = await verify(org, await challenge(org, user), code);
    expectError(replay, 401, 'UNAUTHORIZED');
    expect(replay.body.message).toBe('Invalid MFA code');
    // An earlier step than the one spent is spent too, though still within the window.
    expectError(await verify(org, await challenge(org, user), codeAt(user.secret, clock.step - 1)), 401, 'UNAUTHORIZED');
    // The code spent at sign-in is refused by the signed-in routes as well (§11: spent everywhere).
    const regenerate = await user.client.post('/mfa/recovery-codes/regenerate', { code });
    expectError(regenerate, 400, 'VALIDATION_ERROR');
    expect(regenerate.body.details).toEqual([{ field: 'code', message: expect.any(String) }]);
    expect((await verify(org, await challenge(org, user), codeAt(user.secret, clock.tick()))).status).toBe(200);
  });

  it('accepts an unused recovery code in any letter case, once', async () => {
    const user = await memberWithMfa(t, org, clock);
    const [first, second] = user.recoveryCodes;
    const done = await verify(org, await challenge(org, user), first.toUpperCase());
    expect(done.status).toBe(200);
    expect((await auditOf(t, user.id, 'USER_LOGIN')).at(-1)).toMatchObject({ result: 'SUCCESS', details: { mfaMethod: 'RECOVERY_CODE' } });
    const reuse = await verify(org, await challenge(org, user), first);
    expectError(reuse, 401, 'UNAUTHORIZED');
    const { rows } = await t.db.query(`SELECT count(*)::int AS used FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NOT NULL`, [
      user.id,
    ]);
    expect(rows[0].used).toBe(1);
    expect((await verify(org, await challenge(org, user), ` ${second.slice(0, 4)}-${second.slice(4)} `)).status).toBe(200);
  });

  it('ends the challenge at the fifth wrong code: the right code is refused after, and each failure is a USER_LOGIN failure', async () => {
    const user = await memberWithMfa(t, org, clock);
    const token = await challenge(org, user);
    const wrong = ['000000', '111111', 'notacode', '12345678', '999999'].filter((code) => code !== codeAt(user.secret, clock.step));
    for (const code of wrong.slice(0, 5)) {
      const refused = await verify(org, token, code);
      expectError(refused, 401, 'UNAUTHORIZED');
      expect(refused.body.message).toBe('Invalid MFA code');
    }
    expect(await challengeRow(user.id)).toMatchObject({ failed_attempts: 5, used_at: expect.any(Date) });
    const after = await verify(org, token, codeAt(user.secret, clock.tick()));
    expectError(after, 401, 'UNAUTHORIZED');
    expect(after.body.message).toBe('The MFA challenge is invalid or has expired: sign in again');
    const failures = (await auditOf(t, user.id, 'USER_LOGIN')).filter((row) => row.result === 'FAILURE');
    expect(failures).toHaveLength(5);
    expect(failures[0]).toMatchObject({ error_code: 'UNAUTHORIZED', error_message: 'Invalid MFA code', actor_email: user.email });
    // The code that was refused on the dead challenge was not spent: a new challenge takes it.
    expect((await verify(org, await challenge(org, user), codeAt(user.secret, clock.step))).status).toBe(200);
  });

  it('counts four wrong codes without ending the challenge', async () => {
    const user = await memberWithMfa(t, org, clock);
    const token = await challenge(org, user);
    for (let i = 0; i < 4; i++) expectError(await verify(org, token, 'zzzzzzzz'), 401, 'UNAUTHORIZED');
    expect(await challengeRow(user.id)).toMatchObject({ failed_attempts: 4, used_at: null });
    expect((await verify(org, token, codeAt(user.secret, clock.tick()))).status).toBe(200);
  });

  it('refuses unknown and expired challenges with one 401; two open challenges (two devices) each work once', async () => {
    const user = await memberWithMfa(t, org, clock);
    expectError(await verify(org, 'A'.repeat(43), codeAt(user.secret, clock.tick())), 401, 'UNAUTHORIZED');
    const expired = await challenge(org, user);
    await t.db.query(`UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND purpose = 'MFA_CHALLENGE'`, [
      user.id,
    ]);
    expectError(await verify(org, expired, codeAt(user.secret, clock.tick())), 401, 'UNAUTHORIZED');
    const phone = await challenge(org, user);
    const laptop = await challenge(org, user);
    expect((await verify(org, laptop, codeAt(user.secret, clock.tick()))).status).toBe(200);
    expect((await verify(org, phone, codeAt(user.secret, clock.tick()))).status).toBe(200);
    expectError(await verify(org, phone, codeAt(user.secret, clock.tick())), 401, 'UNAUTHORIZED');
  });

  it('lets exactly one of many parallel sign-ins spend the same code', async () => {
    const user = await memberWithMfa(t, org, clock);
    const tokens = await Promise.all(Array.from({ length: 6 }, () => challenge(org, user)));
    const code = codeAt(user.secret, clock.tick());
    const answers = await Promise.all(tokens.map((token) => verify(org, token, code)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
    expect((await t.db.query(`SELECT last_used_step FROM user_mfa WHERE user_id = $1`, [user.id])).rows[0].last_used_step).toBe(clock.step);
  });

  it('validates the body: 400 naming the fields', async () => {
    const missing = await org.anonymous.post('/auth/verify-mfa', {});
    expectError(missing, 400, 'VALIDATION_ERROR');
    expect([...new Set(missing.body.details.map((d: { field: string }) => d.field))].sort()).toEqual(['code', 'mfaChallengeToken']);
  });

  it('answers an expired password only after the second factor, as a login would', async () => {
    const user = await memberWithMfa(t, org, clock);
    await org.admin.patch('/organization/settings', { passwordExpirationDays: 30 });
    try {
      await t.db.query(`UPDATE users SET password_changed_at = now() - interval '31 days' WHERE id = $1`, [user.id]);
      const first = await login(org, user);
      expect(first.body.mfaRequired).toBe(true);
      const done = await verify(org, first.body.mfaChallengeToken, codeAt(user.secret, clock.tick()));
      expect(done.status).toBe(200);
      expect(done.body).toEqual({
        passwordExpired: true,
        passwordChangeToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        accessToken: null,
        refreshToken: null,
        user: null,
      });
      const changed = await org.anonymous.post('/auth/change-expired-password', {
        passwordChangeToken: done.body.passwordChangeToken,
        newPassword: 'Brand new secret 2',
      });
      expect(changed.status).toBe(200);
      expect(Object.keys(changed.body).sort()).toEqual(AUTH_KEYS);
    } finally {
      await org.admin.patch('/organization/settings', { passwordExpirationDays: null });
    }
  });
});

describe('MFA sign-in: RATE_LIMIT_MFA_PER_MINUTE', () => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('limits POST /auth/verify-mfa per client IP: 429 with Retry-After past the limit', async () => {
    t = await startTestApp({ RATE_LIMIT_MFA_PER_MINUTE: '3' });
    const org = await registerOrganization(t, 'Mfa limit');
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await verify(org, 'B'.repeat(43), '123456');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expectError(last!, 429, 'RATE_LIMIT_EXCEEDED');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Its own bucket: login is not limited by it.
    expectError(
      await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: org.email, password: 'nope nope 1' }),
      401,
      'UNAUTHORIZED',
    );
  });
});
