import { expectError } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { challenge, codeAt, createUser, memberWithMfa, MfaMember, PinnedClock, signIn, verify } from '../mfa/mfa-harness';
import { startPrivateApp } from './security-harness';
import { changedTables, damagedVariants, expireToken, mintToken, sha256, snapshot } from './token-attacks-harness';

jest.setTimeout(60_000);

const DEAD_CHALLENGE = 'The MFA challenge is invalid or has expired: sign in again';
const WRONG_CODE = 'Invalid MFA code';

/**
 * Attacks on the MFA challenge of §11 (POST /auth/verify-mfa {mfaChallengeToken, code}) and on the
 * pending setup secret (POST /mfa/setup/confirm): forged, damaged, expired, spent and killed
 * challenges, challenges of another purpose, and codes of another user or organization. Each is
 * 401 UNAUTHORIZED; nothing is signed in, and the only change a refusal may make is the one §11
 * asks for: a wrong code on a live challenge counts against that challenge (and is audited).
 */
describe('token attacks: MFA challenges and setup secrets', () => {
  let t: TestApp;
  let clock: PinnedClock;
  let org: TestOrganization;
  let other: TestOrganization;
  let x: MfaMember;
  let y: MfaMember;
  let z: MfaMember;
  let refused = 0;

  beforeAll(async () => {
    t = await startPrivateApp();
    clock = new PinnedClock(t);
    org = await registerOrganization(t, 'Mfa tokens');
    other = await registerOrganization(t, 'Mfa tokens other');
    x = await memberWithMfa(t, org, clock);
    y = await memberWithMfa(t, org, clock);
    z = await memberWithMfa(t, other, clock);
  });
  afterAll(async () => {
    console.log(`MFA token attacks: ${refused} refused attempts`);
    clock?.restore();
    await t?.close();
  });

  const liveRefreshTokens = async (userId: string) =>
    (await t.db.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1`, [userId])).rows[0].n;

  const challengeRow = async (token: string) =>
    (await t.db.query(`SELECT failed_attempts, used_at FROM user_tokens WHERE token_hash = $1`, [sha256(token)])).rows[0];

  /** 401 with `message`; `allowed` lists the only tables that may change (the challenge's failure count). */
  async function expectRefused(token: string, code: string, message: string, what: string, allowed: string[] = []): Promise<void> {
    const before = await snapshot(t, [org.id, other.id]);
    const logins = await liveRefreshTokens(x.id);
    const response = await verify(org, token, code);
    refused++;
    try {
      expectError(response, 401, 'UNAUTHORIZED');
      expect(response.body.message).toBe(message);
    } catch (error) {
      throw new Error(`verify-mfa with ${what}: ${response.status} ${response.text}\n${String(error)}`);
    }
    expect({ what, changed: changedTables(before, await snapshot(t, [org.id, other.id])) }).toEqual({ what, changed: allowed });
    expect(await liveRefreshTokens(x.id)).toBe(logins);
  }

  it('refuses forged and damaged copies of a live challenge (with the right code), counts nothing, and the real one still works', async () => {
    const token = await challenge(org, x);
    const code = codeAt(x.secret, clock.tick());
    for (const [what, variant] of damagedVariants(token)) await expectRefused(variant, code, DEAD_CHALLENGE, what);
    expect(await challengeRow(token)).toEqual({ failed_attempts: 0, used_at: null });
    expect((await verify(org, token, code)).status).toBe(200);
  });

  it('refuses an expired challenge, and a spent one, with the right code', async () => {
    const expired = await challenge(org, x);
    await expireToken(t, expired);
    await expectRefused(expired, codeAt(x.secret, clock.tick()), DEAD_CHALLENGE, 'an expired challenge');

    const spent = await challenge(org, x);
    expect((await verify(org, spent, codeAt(x.secret, clock.tick()))).status).toBe(200);
    await expectRefused(spent, codeAt(x.secret, clock.tick()), DEAD_CHALLENGE, 'a spent challenge');
  });

  it("refuses another user's and another organization's current code and recovery code, counting each against the challenge only", async () => {
    const token = await challenge(org, x);
    const step = clock.tick();
    const attempts: Array<[string, string]> = [
      ["another user's current code", codeAt(y.secret, step)],
      ["another organization's user's current code", codeAt(z.secret, step)],
      ["another user's unused recovery code", y.recoveryCodes[0]],
      ["another organization's user's unused recovery code", z.recoveryCodes[0]],
    ];
    for (const [what, code] of attempts) await expectRefused(token, code, WRONG_CODE, what, ['0:user_tokens']);
    expect(await challengeRow(token)).toEqual({ failed_attempts: 4, used_at: null });
    // Nothing of theirs was spent: each still signs its owner in.
    expect((await verify(org, await challenge(org, y), codeAt(y.secret, step))).status).toBe(200);
    expect((await verify(other, await challenge(other, z), z.recoveryCodes[0])).status).toBe(200);
    // The fifth wrong code kills the challenge: the right code is refused after it, and counts nothing.
    await expectRefused(token, '000000', WRONG_CODE, 'a fifth wrong code', ['0:user_tokens']);
    await expectRefused(token, codeAt(x.secret, clock.tick()), DEAD_CHALLENGE, 'a killed challenge');
  });

  it('refuses live tokens of every other purpose as a challenge, with the right code', async () => {
    const owner = { organizationId: org.id, userId: x.id };
    for (const purpose of ['INVITATION', 'PASSWORD_RESET', 'PASSWORD_CHANGE'] as const) {
      const token = await mintToken(t, owner, purpose);
      await expectRefused(token, codeAt(x.secret, clock.tick()), DEAD_CHALLENGE, `a live ${purpose} token`);
    }
  });

  it("control: another organization's challenge with its own user's code signs in that user, never the caller's", async () => {
    // The challenge alone names its user: Z's challenge with Z's code signs Z in, never X.
    const done = await verify(org, await challenge(other, z), codeAt(z.secret, clock.tick()));
    expect(done.status).toBe(200);
    expect(done.body.user).toMatchObject({ id: z.id, organizationId: other.id });
  });

  it('kills open challenges when MFA is reset by an admin, and when the user is deactivated', async () => {
    const user = await memberWithMfa(t, org, clock);
    const open = await challenge(org, user);
    expect((await org.admin.post(`/users/${user.id}/reset-mfa`)).status).toBe(200);
    expectError(await verify(org, open, codeAt(user.secret, clock.tick())), 401, 'UNAUTHORIZED');

    const second = await memberWithMfa(t, org, clock);
    const pending = await challenge(org, second);
    expect((await org.admin.patch(`/users/${second.id}`, { isActive: false })).status).toBe(200);
    expectError(await verify(org, pending, codeAt(second.secret, clock.tick())), 401, 'UNAUTHORIZED');
    refused += 2;
  });

  // A challenge proves the first factor, the password of the moment. Once that password is
  // replaced (the user suspects it leaked), a challenge won with the old one must not finish.
  it('kills open challenges when the password is changed or reset', async () => {
    const changedUser = await memberWithMfa(t, org, clock);
    const beforeChange = await challenge(org, changedUser);
    const changed = await changedUser.client.post('/auth/change-password', {
      currentPassword: changedUser.password,
      newPassword: 'Fresh password 2',
    });
    expect(changed.status).toBe(200);
    const afterChange = await verify(org, beforeChange, codeAt(changedUser.secret, clock.tick()));
    expect({ after: 'change-password', status: afterChange.status, message: afterChange.body?.message }).toEqual({
      after: 'change-password',
      status: 401,
      message: DEAD_CHALLENGE,
    });

    const resetUser = await memberWithMfa(t, org, clock);
    const beforeReset = await challenge(org, resetUser);
    const resetToken = await mintToken(t, { organizationId: org.id, userId: resetUser.id }, 'PASSWORD_RESET');
    const reset = await org.anonymous.post('/auth/reset-password', { token: resetToken, password: 'Fresh password 3' });
    // A reset link proves the first factor only: it answers a new challenge of its own.
    expect(reset.body).toMatchObject({ mfaRequired: true, mfaChallengeToken: expect.any(String) });
    const afterReset = await verify(org, beforeReset, codeAt(resetUser.secret, clock.tick()));
    expect({ after: 'reset-password', status: afterReset.status, message: afterReset.body?.message }).toEqual({
      after: 'reset-password',
      status: 401,
      message: DEAD_CHALLENGE,
    });
    expect((await verify(org, reset.body.mfaChallengeToken, codeAt(resetUser.secret, clock.tick()))).status).toBe(200);
    refused += 2;
  });

  it('refuses a challenge as a bearer token or API key (401)', async () => {
    const token = await challenge(org, x);
    for (const headers of [{ authorization: `Bearer ${token}` }, { 'x-api-key': token }] as Array<Record<string, string>>) {
      expectError(await org.anonymous.get('/auth/me', headers), 401, 'UNAUTHORIZED');
      refused++;
    }
  });

  it("refuses another user's pending setup secret, even with its right code, and leaves both setups as they were", async () => {
    const owner = await createUser(t, org);
    const thief = await createUser(t, org);
    const ownerClient = (await signIn(org, owner)).client;
    const thiefClient = (await signIn(org, thief)).client;
    const secret = (await ownerClient.post('/mfa/setup')).body.secret as string;
    expect((await thiefClient.post('/mfa/setup')).status).toBe(200);
    const before = await snapshot(t, [org.id]);
    const stolen = await thiefClient.post('/mfa/setup/confirm', { secret, code: codeAt(secret, clock.tick()) });
    refused++;
    expectError(stolen, 400, 'VALIDATION_ERROR');
    expect(stolen.body.details.map((d: { field: string }) => d.field)).toEqual(['secret']);
    expect(changedTables(before, await snapshot(t, [org.id]))).toEqual([]);
    // The owner's setup was not touched: it confirms, with the next code.
    expect((await ownerClient.post('/mfa/setup/confirm', { secret, code: codeAt(secret, clock.tick()) })).status).toBe(200);
  });
});
