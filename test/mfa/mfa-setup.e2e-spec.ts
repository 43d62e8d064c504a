import { expectError } from '../harness/api-client';
import { TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { auditOf, base32Decode, codeAt, createUser, enableMfa, PinnedClock, signIn, mfaSuite } from './mfa-harness';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Turning MFA on (decisions §11): POST /mfa/setup and POST /mfa/setup/confirm. */
describe('MFA setup', () => {
  let t: TestApp;
  let org: TestOrganization;
  let clock: PinnedClock;

  mfaSuite('Mfa setup', (suite) => {
    ({ t, org, clock } = suite);
  });

  async function newUser() {
    const user = await createUser(t, org);
    return { ...user, ...(await signIn(org, user)) };
  }

  const mfaRow = async (userId: string) => (await t.db.query(`SELECT * FROM user_mfa WHERE user_id = $1`, [userId])).rows[0];

  it('answers a Base32 secret, its otpauth URL (issuer EntryGuard, the user email) and a PNG QR code, and holds the secret 10 minutes', async () => {
    const user = await newUser();
    const setup = await user.client.post('/mfa/setup');
    expect(setup.status).toBe(200);
    expect(Object.keys(setup.body).sort()).toEqual(['otpauthUrl', 'qrCodeBase64', 'secret']);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(setup.body.secret)).toHaveLength(20);
    const url = new URL(setup.body.otpauthUrl);
    expect(`${url.protocol}//${url.host}${decodeURIComponent(url.pathname)}`).toBe(`otpauth://totp/EntryGuard:${user.email}`);
    expect(url.searchParams.get('secret')).toBe(setup.body.secret);
    expect(url.searchParams.get('issuer')).toBe('EntryGuard');
    expect(setup.body.qrCodeBase64).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(setup.body.qrCodeBase64, 'base64').subarray(0, 8)).toEqual(PNG_SIGNATURE);

    const row = await mfaRow(user.id);
    expect(row).toMatchObject({ secret_ciphertext: null, pending_key_version: 1 });
    const { rows } = await t.db.query(
      `SELECT round(extract(epoch FROM pending_expires_at - now()))::int AS left FROM user_mfa WHERE user_id = $1`,
      [user.id],
    );
    expect(rows[0].left).toBeGreaterThan(590);
    expect(rows[0].left).toBeLessThanOrEqual(600);
    // Nothing is on until confirmed.
    expect((await org.admin.get(`/users/${user.id}`)).body.mfaEnabled).toBe(false);
    expect(
      (await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: user.email, password: user.password })).body
        .accessToken,
    ).toEqual(expect.any(String));
  });

  it('turns MFA on with the pending secret and a current code: 8 recovery codes, stored hashed, and an MFA_ENABLE row', async () => {
    const user = await newUser();
    const { secret, recoveryCodes } = await enableMfa(user.client, clock);
    expect(recoveryCodes).toHaveLength(8);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z0-9]{8}$/);
    expect(new Set(recoveryCodes).size).toBe(8);
    const stored = (await t.db.query(`SELECT code_hash, used_at FROM mfa_recovery_codes WHERE user_id = $1`, [user.id])).rows;
    expect(stored).toHaveLength(8);
    for (const row of stored) expect(row).toEqual({ code_hash: expect.stringMatching(/^\$argon2id\$/), used_at: null });
    const row = await mfaRow(user.id);
    expect(row).toMatchObject({ secret_key_version: 1, last_used_step: clock.step, pending_ciphertext: null, pending_expires_at: null });
    expect(row.secret_iv).toHaveLength(12);
    expect((await org.admin.get(`/users/${user.id}`)).body.mfaEnabled).toBe(true);
    expect(await auditOf(t, user.id, 'MFA_ENABLE')).toEqual([
      expect.objectContaining({ result: 'SUCCESS', actor_email: user.email, details: {} }),
    ]);
    // The code that confirmed is spent: the next sign-in refuses it.
    const login = await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: user.email, password: user.password });
    expectError(
      await org.anonymous.post('/auth/verify-mfa', { mfaChallengeToken: login.body.mfaChallengeToken, code: codeAt(secret, clock.step) }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('answers 409 MFA_ALREADY_ENABLED to setup and confirm once MFA is on, and keeps the secret', async () => {
    const user = await newUser();
    const { secret } = await enableMfa(user.client, clock);
    const before = await mfaRow(user.id);
    expectError(await user.client.post('/mfa/setup'), 409, 'MFA_ALREADY_ENABLED');
    expectError(await user.client.post('/mfa/setup/confirm', { secret, code: codeAt(secret, clock.tick()) }), 409, 'MFA_ALREADY_ENABLED');
    expect((await mfaRow(user.id)).secret_ciphertext).toEqual(before.secret_ciphertext);
  });

  it('refuses a secret that is not the pending one (replaced, expired, or another user’s) with 400 naming secret', async () => {
    const user = await newUser();
    const first = (await user.client.post('/mfa/setup')).body.secret;
    const second = (await user.client.post('/mfa/setup')).body.secret;
    const stale = await user.client.post('/mfa/setup/confirm', { secret: first, code: codeAt(first, clock.tick()) });
    expectError(stale, 400, 'VALIDATION_ERROR');
    expect(stale.body.details).toEqual([{ field: 'secret', message: expect.stringContaining('pending secret') }]);

    const other = await newUser();
    const foreign = (await other.client.post('/mfa/setup')).body.secret;
    const borrowed = await user.client.post('/mfa/setup/confirm', { secret: foreign, code: codeAt(foreign, clock.tick()) });
    expectError(borrowed, 400, 'VALIDATION_ERROR');
    expect(borrowed.body.details[0].field).toBe('secret');

    await t.db.query(`UPDATE user_mfa SET pending_expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.id]);
    expectError(
      await user.client.post('/mfa/setup/confirm', { secret: second, code: codeAt(second, clock.tick()) }),
      400,
      'VALIDATION_ERROR',
    );
    expect((await org.admin.get(`/users/${user.id}`)).body.mfaEnabled).toBe(false);

    // Without any setup at all, the same answer.
    const fresh = await newUser();
    expectError(
      await fresh.client.post('/mfa/setup/confirm', { secret: second, code: codeAt(second, clock.step) }),
      400,
      'VALIDATION_ERROR',
    );
    const failures = await t.db.query(`SELECT result, error_code FROM audit_logs WHERE event_type = 'MFA_ENABLE' AND actor_email = $1`, [
      user.email,
    ]);
    expect(failures.rows).toEqual(Array(3).fill({ result: 'FAILURE', error_code: 'VALIDATION_ERROR' }));
  });

  it('refuses a wrong or two-steps-old code with 400 naming code, and leaves the pending secret for another try', async () => {
    const user = await newUser();
    const secret = (await user.client.post('/mfa/setup')).body.secret;
    const now = clock.tick() + 2;
    clock.set(now, 0);
    for (const code of [codeAt(secret, now - 2), codeAt(secret, now + 2), '000000x', 'abcdefgh']) {
      const refused = await user.client.post('/mfa/setup/confirm', { secret, code });
      expectError(refused, 400, 'VALIDATION_ERROR');
      expect(refused.body.details).toEqual([{ field: 'code', message: expect.any(String) }]);
    }
    const accepted = await user.client.post('/mfa/setup/confirm', { secret, code: codeAt(secret, now - 1) });
    expect(accepted.status).toBe(200);
  });

  it('validates the body, and requires a signed-in user', async () => {
    const user = await newUser();
    const empty = await user.client.post('/mfa/setup/confirm', {});
    expectError(empty, 400, 'VALIDATION_ERROR');
    expect([...new Set(empty.body.details.map((d: { field: string }) => d.field))].sort()).toEqual(['code', 'secret']);
    expectError(await user.client.post('/mfa/setup/confirm', { secret: 'A', code: '123456', extra: 1 }), 400, 'VALIDATION_ERROR');
    expectError(await org.anonymous.post('/mfa/setup'), 401, 'UNAUTHORIZED');
    expectError(await org.anonymous.post('/mfa/setup/confirm', { secret: 'A', code: '123456' }), 401, 'UNAUTHORIZED');
  });

  it('lets an admin turn on MFA like anyone (setup is not an admin route)', async () => {
    const { recoveryCodes } = await enableMfa(org.admin, clock);
    expect(recoveryCodes).toHaveLength(8);
    expect((await org.admin.get(`/users/${org.auth.user.id}`)).body.mfaEnabled).toBe(true);
  });
});
