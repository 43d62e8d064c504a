import { ApiResponse, expectError } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { createUser, login, PASSWORD, requestReset, setPolicy } from '../passwords/passwords-harness';
import { invite, startUsersApp, UsersTestApp } from '../users/users-harness';
import { changedTables, damagedVariants, expireToken, mintToken, Purpose, snapshot } from './token-attacks-harness';

jest.setTimeout(60_000);

/**
 * Attacks on the one-time tokens of §9 and §10: the invitation (POST /auth/set-password), the
 * password reset (POST /auth/reset-password) and the change an expired password forces
 * (POST /auth/change-expired-password). Each is a 256-bit bearer secret that alone names its user
 * and organization. Forged, damaged, expired, spent, replaced, of another purpose or of a user
 * since deactivated: each is 400 INVALID_TOKEN with the one message of its route, the database
 * stays as it was, and (where the real token was not the one attacked) the real token still works.
 */
const NEW_PASSWORD = 'Attacker chosen 9';

interface Kind {
  purpose: Purpose;
  path: string;
  message: string;
  body(token: string): Record<string, string>;
  /** A real token, issued the way the API issues it, and its owner. */
  issue(): Promise<{ token: string; userId: string }>;
}

describe('token attacks: invitation, password reset and password-change tokens', () => {
  let app: UsersTestApp;
  let org: TestOrganization;
  let other: TestOrganization;
  const kinds: Record<string, Kind> = {};
  let refused = 0;

  beforeAll(async () => {
    app = await startUsersApp();
    org = await registerOrganization(app.t, 'Tokens');
    other = await registerOrganization(app.t, 'Tokens other');
    // Passwords older than 30 days have expired: a login answers a password-change token.
    await setPolicy(org, { passwordExpirationDays: 30 });
    kinds.invitation = {
      purpose: 'INVITATION',
      path: '/auth/set-password',
      message: 'The invitation link is invalid or has expired',
      body: (inviteToken) => ({ inviteToken, password: NEW_PASSWORD }),
      issue: async () => {
        const { user, token } = await invite(app.smtp, org);
        return { token, userId: user.id };
      },
    };
    kinds.reset = {
      purpose: 'PASSWORD_RESET',
      path: '/auth/reset-password',
      message: 'The reset link is invalid or has expired',
      body: (token) => ({ token, password: NEW_PASSWORD }),
      issue: async () => {
        const user = await createUser(app.t, org);
        return { token: await requestReset(app, org, user.email), userId: user.id };
      },
    };
    kinds.change = {
      purpose: 'PASSWORD_CHANGE',
      path: '/auth/change-expired-password',
      message: 'The password change token is invalid or has expired',
      body: (passwordChangeToken) => ({ passwordChangeToken, newPassword: NEW_PASSWORD }),
      issue: async () => {
        const user = await createUser(app.t, org, { passwordAgeDays: 31 });
        const answer = await login(org, user);
        if (answer.body?.passwordExpired !== true) throw new Error(`expected an expired password: ${answer.status} ${answer.text}`);
        return { token: answer.body.passwordChangeToken, userId: user.id };
      },
    };
  });
  afterAll(async () => {
    console.log(`one-time token attacks (invitation, reset, password change): ${refused} refused attempts`);
    await app?.close();
  });

  const send = (kind: Kind, token: string) => org.anonymous.post(kind.path, kind.body(token));

  /** Refused with the kind's one answer, and no row of either organization changed. */
  async function expectRefused(kind: Kind, token: string, what: string): Promise<void> {
    const before = await snapshot(app.t, [org.id, other.id]);
    const response: ApiResponse = await send(kind, token);
    refused++;
    const after = await snapshot(app.t, [org.id, other.id]);
    try {
      expectError(response, 400, 'INVALID_TOKEN');
      expect(response.body.message).toBe(kind.message);
    } catch (error) {
      throw new Error(`${kind.path} with ${what}: ${response.status} ${response.text}\n${String(error)}`);
    }
    expect({ what, changed: changedTables(before, after) }).toEqual({ what, changed: [] });
  }

  async function expectAccepted(kind: Kind, token: string): Promise<void> {
    const response = await send(kind, token);
    expect({ path: kind.path, status: response.status }).toEqual({ path: kind.path, status: 200 });
    expect(typeof response.body.accessToken).toBe('string');
  }

  const KINDS = ['invitation', 'reset', 'change'];

  it.each(KINDS)('%s: forged and damaged copies are refused, and the real token still works after them all', async (name) => {
    const kind = kinds[name];
    const { token } = await kind.issue();
    const variants = damagedVariants(token);
    for (const [what, variant] of variants) await expectRefused(kind, variant, what);
    await expectAccepted(kind, token);
  });

  it.each(KINDS)('%s: an expired token is refused and stays unspent', async (name) => {
    const kind = kinds[name];
    const { token, userId } = await kind.issue();
    await expireToken(app.t, token);
    await expectRefused(kind, token, 'an expired token');
    const { rows } = await app.t.db.query(`SELECT used_at FROM user_tokens WHERE user_id = $1 AND purpose = $2`, [userId, kind.purpose]);
    expect(rows.every((row) => row.used_at === null)).toBe(true);
  });

  it.each(KINDS)('%s: a spent token is refused, and the password it set stays', async (name) => {
    const kind = kinds[name];
    const { token, userId } = await kind.issue();
    await expectAccepted(kind, token);
    const hash = (await app.t.db.query(`SELECT password_hash FROM users WHERE id = $1`, [userId])).rows[0].password_hash;
    await expectRefused(kind, token, 'a spent token');
    expect((await app.t.db.query(`SELECT password_hash FROM users WHERE id = $1`, [userId])).rows[0].password_hash).toBe(hash);
  });

  it.each(KINDS)('%s: a token replaced by a newer one is refused; the newer one works', async (name) => {
    const kind = kinds[name];
    const first = await kind.issue();
    let second: string;
    if (name === 'invitation') {
      expect((await org.admin.post(`/users/${first.userId}/resend-invitation`)).status).toBe(200);
      second = await waitForNewInvitation(first.token);
    } else if (name === 'reset') {
      const email = (await app.t.db.query(`SELECT email FROM users WHERE id = $1`, [first.userId])).rows[0].email;
      second = await requestReset(app, org, email);
    } else {
      const email = (await app.t.db.query(`SELECT email FROM users WHERE id = $1`, [first.userId])).rows[0].email;
      second = (await login(org, { email, password: PASSWORD })).body.passwordChangeToken;
    }
    expect(second).not.toBe(first.token);
    await expectRefused(kind, first.token, 'a replaced token');
    await expectAccepted(kind, second);
  });

  it.each(KINDS)('%s: the token of a user deactivated since is refused, and stays dead after reactivation', async (name) => {
    const kind = kinds[name];
    const { token, userId } = await kind.issue();
    expect((await org.admin.patch(`/users/${userId}`, { isActive: false })).status).toBe(200);
    await expectRefused(kind, token, "a deactivated user's token");
    expect((await org.admin.patch(`/users/${userId}`, { isActive: true })).status).toBe(200);
    await expectRefused(kind, token, "a reactivated user's old token");
  });

  it.each(KINDS)("%s: a deleted user's token is refused", async (name) => {
    const kind = kinds[name];
    const { token, userId } = await kind.issue();
    expect((await org.admin.delete(`/users/${userId}`)).status).toBe(204);
    await expectRefused(kind, token, "a deleted user's token");
  });

  it.each(KINDS)('%s: a live token of every other purpose, for a user it would fit, is refused', async (name) => {
    const kind = kinds[name];
    const { userId } = await kind.issue();
    for (const purpose of ['INVITATION', 'PASSWORD_RESET', 'PASSWORD_CHANGE', 'MFA_CHALLENGE'] as const) {
      if (purpose === kind.purpose) continue;
      const token = await mintToken(app.t, { organizationId: org.id, userId }, purpose);
      await expectRefused(kind, token, `a live ${purpose} token of the same user`);
    }
    // And one of the other organization's first admin (the token alone names user and organization).
    const foreign = await mintToken(app.t, { organizationId: other.id, userId: other.auth.user.id }, 'MFA_CHALLENGE');
    await expectRefused(kind, foreign, "another organization's MFA_CHALLENGE token");
  });

  it('a token sent as a bearer token or an API key is no credential at all (401), and changes nothing', async () => {
    const { token } = await kinds.reset.issue();
    const attempts: Array<Record<string, string>> = [
      { authorization: `Bearer ${token}` },
      { 'x-api-key': token },
      { authorization: `ApiKey ${token}` },
    ];
    for (const headers of attempts) {
      const before = await snapshot(app.t, [org.id]);
      expectError(await org.anonymous.get('/auth/me', headers), 401, 'UNAUTHORIZED');
      expect(changedTables(before, await snapshot(app.t, [org.id]))).toEqual([]);
    }
    await expectAccepted(kinds.reset, token);
  });

  /** The link of the newest invitation mail that is not `previous`. */
  async function waitForNewInvitation(previous: string): Promise<string> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const tokens = app.smtp.received
        .map((mail) => /set-password\?token=([A-Za-z0-9_-]+)/.exec(mail.parsed.text ?? '')?.[1])
        .filter((t): t is string => Boolean(t));
      const last = tokens[tokens.length - 1];
      if (last && last !== previous) return last;
      if (Date.now() > deadline) throw new Error('no new invitation mail');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
});
