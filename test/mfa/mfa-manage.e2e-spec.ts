import { randomUUID } from 'node:crypto';
import { expectError } from '../harness/api-client';
import { createMember, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import {
  auditOf,
  challenge,
  codeAt,
  createUser,
  enableMfa,
  login,
  memberWithMfa,
  PinnedClock,
  setMfaRequired,
  signIn,
  verify,
  mfaSuite,
} from './mfa-harness';

/** Living with MFA (decisions §11): disable, new recovery codes, and the admin's reset. */
describe('MFA: disable, recovery codes, admin reset', () => {
  let t: TestApp;
  let org: TestOrganization;
  let clock: PinnedClock;

  mfaSuite('Mfa manage', (suite) => {
    ({ t, org, clock } = suite);
  });

  const tables = async (userId: string) => ({
    mfa: (await t.db.query(`SELECT count(*)::int AS n FROM user_mfa WHERE user_id = $1`, [userId])).rows[0].n,
    codes: (await t.db.query(`SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1`, [userId])).rows[0].n,
    enabled: (await t.db.query(`SELECT mfa_enabled_at IS NOT NULL AS on FROM users WHERE id = $1`, [userId])).rows[0].on,
  });

  describe('POST /mfa/disable', () => {
    it('turns MFA off with a current code: secret and recovery codes gone, plain sign-in again, an MFA_DISABLE row', async () => {
      const user = await memberWithMfa(t, org, clock);
      const done = await user.client.post('/mfa/disable', { code: codeAt(user.secret, clock.tick()) });
      expect(done.status).toBe(200);
      expect(done.body).toEqual({});
      expect(await tables(user.id)).toEqual({ mfa: 0, codes: 0, enabled: false });
      expect((await login(org, user)).body.accessToken).toEqual(expect.any(String));
      expect(await auditOf(t, user.id, 'MFA_DISABLE')).toEqual([
        expect.objectContaining({ result: 'SUCCESS', details: { mfaMethod: 'TOTP' } }),
      ]);
    });

    it('takes an unused recovery code (a lost phone), and then MFA can be set up again', async () => {
      const user = await memberWithMfa(t, org, clock);
      expect((await user.client.post('/mfa/disable', { code: user.recoveryCodes[3].toUpperCase() })).status).toBe(200);
      expect((await auditOf(t, user.id, 'MFA_DISABLE')).at(-1)).toMatchObject({ details: { mfaMethod: 'RECOVERY_CODE' } });
      const again = await user.client.post('/mfa/setup');
      expect(again.status).toBe(200);
      expect(again.body.secret).not.toBe(user.secret);
    });

    it('answers 404 MFA_NOT_ENABLED when MFA is off', async () => {
      const user = await createUser(t, org);
      const { client } = await signIn(org, user);
      const refused = await client.post('/mfa/disable', { code: '123456' });
      expectError(refused, 404, 'MFA_NOT_ENABLED');
      expect(refused.body.message).toBe('MFA is not enabled for this user');
    });

    it('refuses a wrong, spent or two-steps-old code with 400 VALIDATION_ERROR (field code), and MFA stays on', async () => {
      const user = await memberWithMfa(t, org, clock);
      const spent = codeAt(user.secret, clock.step);
      // One step after the confirming code: that code is the previous step, inside the window, but spent.
      const now = clock.tick();
      clock.set(now, 0);
      for (const code of ['000000', spent, codeAt(user.secret, now - 2), 'zzzzzzzz']) {
        const refused = await user.client.post('/mfa/disable', { code });
        expectError(refused, 400, 'VALIDATION_ERROR');
        expect(refused.body.details).toEqual([{ field: 'code', message: expect.any(String) }]);
      }
      expect(await tables(user.id)).toEqual({ mfa: 1, codes: 8, enabled: true });
      const failures = await t.db.query(`SELECT result, error_code FROM audit_logs WHERE event_type = 'MFA_DISABLE' AND actor_email = $1`, [
        user.email,
      ]);
      expect(failures.rows).toEqual(Array(4).fill({ result: 'FAILURE', error_code: 'VALIDATION_ERROR' }));
    });
  });

  describe('POST /mfa/recovery-codes/regenerate', () => {
    it('answers 8 new codes for a current TOTP code; every earlier code dies; an MFA_RECOVERY_CODES_REGENERATE row', async () => {
      const user = await memberWithMfa(t, org, clock);
      const regenerated = await user.client.post('/mfa/recovery-codes/regenerate', { code: codeAt(user.secret, clock.tick()) });
      expect(regenerated.status).toBe(200);
      expect(Object.keys(regenerated.body)).toEqual(['recoveryCodes']);
      const fresh: string[] = regenerated.body.recoveryCodes;
      expect(fresh).toHaveLength(8);
      for (const code of fresh) expect(code).toMatch(/^[a-z0-9]{8}$/);
      expect(fresh.filter((code) => user.recoveryCodes.includes(code))).toEqual([]);
      expectError(await verify(org, await challenge(org, user), user.recoveryCodes[0]), 401, 'UNAUTHORIZED');
      expect((await verify(org, await challenge(org, user), fresh[0])).status).toBe(200);
      expect(await auditOf(t, user.id, 'MFA_RECOVERY_CODES_REGENERATE')).toEqual([expect.objectContaining({ result: 'SUCCESS' })]);
    });

    it('needs a current TOTP code: a recovery code, a wrong or a spent code is 400 (field code), and the codes stay', async () => {
      const user = await memberWithMfa(t, org, clock);
      for (const code of [user.recoveryCodes[0], '123456', codeAt(user.secret, clock.step)]) {
        const refused = await user.client.post('/mfa/recovery-codes/regenerate', { code });
        expectError(refused, 400, 'VALIDATION_ERROR');
        expect(refused.body.details).toEqual([{ field: 'code', message: expect.any(String) }]);
      }
      expect((await verify(org, await challenge(org, user), user.recoveryCodes[0])).status).toBe(200);
    });

    it('answers 404 MFA_NOT_ENABLED when MFA is off', async () => {
      const { client } = await signIn(org, await createUser(t, org));
      expectError(await client.post('/mfa/recovery-codes/regenerate', { code: '123456' }), 404, 'MFA_NOT_ENABLED');
    });
  });

  describe('POST /users/{id}/reset-mfa', () => {
    it('lets an admin turn a member’s MFA off: 200 {message}, open challenges end, an MFA_RESET row', async () => {
      const user = await memberWithMfa(t, org, clock);
      const open = await challenge(org, user);
      const reset = await org.admin.post(`/users/${user.id}/reset-mfa`);
      expect(reset.status).toBe(200);
      expect(reset.body).toEqual({ message: 'MFA reset successfully' });
      expect(await tables(user.id)).toEqual({ mfa: 0, codes: 0, enabled: false });
      expect((await org.admin.get(`/users/${user.id}`)).body.mfaEnabled).toBe(false);
      expectError(await verify(org, open, codeAt(user.secret, clock.tick())), 401, 'UNAUTHORIZED');
      expect((await login(org, user)).body.accessToken).toEqual(expect.any(String));
      expect(await auditOf(t, user.id, 'MFA_RESET')).toEqual([
        expect.objectContaining({ result: 'SUCCESS', actor_email: org.email, details: { email: user.email } }),
      ]);
    });

    it('answers 400 MFA_NOT_ENABLED for a user without MFA, recorded as a FAILURE', async () => {
      const user = await createUser(t, org);
      const refused = await org.admin.post(`/users/${user.id}/reset-mfa`);
      expectError(refused, 400, 'MFA_NOT_ENABLED');
      expect(await auditOf(t, user.id, 'MFA_RESET')).toEqual([
        expect.objectContaining({ result: 'FAILURE', error_code: 'MFA_NOT_ENABLED' }),
      ]);
    });

    it('is for admins: a member gets 403 FORBIDDEN, and MFA stays on', async () => {
      const user = await memberWithMfa(t, org, clock);
      const member = await createMember(t, org);
      expectError(await member.post(`/users/${user.id}/reset-mfa`), 403, 'FORBIDDEN');
      expectError(await user.client.post(`/users/${user.id}/reset-mfa`), 403, 'FORBIDDEN');
      expect(await tables(user.id)).toMatchObject({ enabled: true });
    });

    it('answers another organization’s user, and a random id, with the same 404 USER_NOT_FOUND', async () => {
      const other = await registerOrganization(t, 'Mfa other');
      const foreign = await memberWithMfa(t, other, clock);
      const random = randomUUID();
      const theirs = await org.admin.post(`/users/${foreign.id}/reset-mfa`);
      const nobody = await org.admin.post(`/users/${random}/reset-mfa`);
      expectError(theirs, 404, 'USER_NOT_FOUND');
      expect(theirs.body.message).toBe(`User with ID ${foreign.id} not found`);
      expect({ ...nobody.body, timestamp: 0, message: nobody.body.message.replace(random, '<id>') }).toEqual({
        ...theirs.body,
        timestamp: 0,
        message: theirs.body.message.replace(foreign.id, '<id>'),
      });
      expect(await tables(foreign.id)).toMatchObject({ enabled: true, codes: 8 });
      expectError(await org.admin.post('/users/not-a-uuid/reset-mfa'), 400, 'VALIDATION_ERROR');
    });

    it('under enforcement: the reset user signs in restricted to setup again', async () => {
      const own = await registerOrganization(t, 'Mfa reset enforced');
      const user = await memberWithMfa(t, own, clock);
      // The admin sets MFA up first: under enforcement, an admin without it reaches only setup too.
      await enableMfa(own.admin, clock);
      await setMfaRequired(own, true);
      expect((await own.admin.post(`/users/${user.id}/reset-mfa`)).status).toBe(200);
      const again = await login(own, user);
      expect(again.body.mfaSetupRequired).toBe(true);
      // The token it had from before MFA was on is restricted from its next request on.
      expectError(
        await user.client.post('/auth/change-password', { currentPassword: user.password, newPassword: 'Another pass 9' }),
        403,
        'FORBIDDEN',
      );
    });
  });
});
