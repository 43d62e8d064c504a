import { TxHost } from '@app/database';
import { USER_REMOVAL_HOOKS, UserRemovalHook, UserRemovalReason } from '@app/users';
import { expectError } from '../harness/api-client';
import { auditRows, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { FakeSmtpServer } from '../fakes/smtp-server';
import { GOOD_PASSWORD, invite, joinedMember, mailsTo, startUsersApp, tokenOf, UsersTestApp } from './users-harness';

jest.setTimeout(90_000);

/** §9: deactivation and deletion take every way in away at once; the removal hooks run in the same transaction. */
describe('deactivating and deleting users', () => {
  let app: UsersTestApp;
  let t: TestApp;
  let smtp: FakeSmtpServer;
  let org: TestOrganization;
  /** The app's own hook list (a plain array the users service holds): tests add recording hooks to it. */
  let hooks: UserRemovalHook[];
  const calls: Array<{ organizationId: string; userId: string; reason: UserRemovalReason; userRowInTx: boolean }> = [];

  beforeAll(async () => {
    app = await startUsersApp();
    ({ t, smtp } = app);
    org = await registerOrganization(t, 'Leavers');
    hooks = t.app.get<UserRemovalHook[]>(USER_REMOVAL_HOOKS, { strict: false });
    const txHost = t.app.get<TxHost>(TxHost);
    hooks.push({
      async onUserRemoved(organizationId, userId, reason) {
        // Runs on the removal's own transaction, before the row is gone.
        const rows = await txHost.tx.query('SELECT 1 FROM users WHERE id = $1', [userId]);
        calls.push({ organizationId, userId, reason, userRowInTx: rows.length === 1 && txHost.isTransactionActive() });
      },
    });
  });
  afterAll(async () => app?.close());

  async function liveRefreshTokens(userId: string): Promise<number> {
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL AND used_at IS NULL`,
      [userId],
    );
    return rows[0].n;
  }

  it('deactivation: 401 from the next request on, every refresh token dead, the user kept; reactivation lets them sign in again', async () => {
    const member = await joinedMember(smtp, org);
    const login = await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: member.email, password: GOOD_PASSWORD });
    expect(login.status).toBe(200);
    expect(await liveRefreshTokens(member.id)).toBe(2);
    expect((await member.client.get('/auth/me')).status).toBe(200);

    const deactivated = await org.admin.patch(`/users/${member.id}`, { isActive: false });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body).toMatchObject({ id: member.id, isActive: false });
    expect(calls.filter((c) => c.userId === member.id)).toEqual([
      { organizationId: org.id, userId: member.id, reason: 'DEACTIVATED', userRowInTx: true },
    ]);

    expectError(await member.client.get('/auth/me'), 401, 'UNAUTHORIZED');
    expect(await liveRefreshTokens(member.id)).toBe(0);
    for (const refreshToken of [member.refreshToken, login.body.refreshToken]) {
      expectError(await org.anonymous.post('/auth/refresh', { refreshToken }), 401, 'UNAUTHORIZED');
    }
    expectError(
      await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: member.email, password: GOOD_PASSWORD }),
      401,
      'UNAUTHORIZED',
    );
    expect((await org.admin.get(`/users/${member.id}`)).body.isActive).toBe(false);

    expect((await org.admin.patch(`/users/${member.id}`, { isActive: true })).status).toBe(200);
    const back = await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: member.email, password: GOOD_PASSWORD });
    expect(back.status).toBe(200);
    // Reactivation is no removal.
    expect(calls.filter((c) => c.userId === member.id)).toHaveLength(1);
  });

  it('deactivating an invited user kills the invitation link', async () => {
    const { user, token } = await invite(smtp, org);
    expect((await org.admin.patch(`/users/${user.id}`, { isActive: false })).status).toBe(200);
    expectError(await org.anonymous.post('/auth/set-password', { inviteToken: token, password: GOOD_PASSWORD }), 400, 'INVALID_TOKEN');
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM user_tokens WHERE user_id = $1 AND used_at IS NULL`, [user.id]);
    expect(rows[0].n).toBe(0);
    // Resending needs an active user; once active again, a new link works.
    expectError(await org.admin.post(`/users/${user.id}/resend-invitation`), 400, 'VALIDATION_ERROR');
    expect((await org.admin.patch(`/users/${user.id}`, { isActive: true })).status).toBe(200);
    expect((await org.admin.post(`/users/${user.id}/resend-invitation`)).status).toBe(200);
    const mails = await mailsTo(smtp, user.email, 2);
    expect((await org.anonymous.post('/auth/set-password', { inviteToken: tokenOf(mails[1]), password: GOOD_PASSWORD })).status).toBe(200);
  });

  it('deletion: 401 at once, gone from every role, tokens gone, and the same email can be invited again', async () => {
    const member = await joinedMember(smtp, org, { name: 'Dee Leted' });
    const role = await t.db.query(`INSERT INTO roles (organization_id, name) VALUES ($1, 'Deletion crew') RETURNING id`, [org.id]);
    await t.db.query(`INSERT INTO role_users (organization_id, role_id, user_id) VALUES ($1, $2, $3)`, [
      org.id,
      role.rows[0].id,
      member.id,
    ]);

    const deleted = await org.admin.delete(`/users/${member.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(calls.filter((c) => c.userId === member.id)).toEqual([
      { organizationId: org.id, userId: member.id, reason: 'DELETED', userRowInTx: true },
    ]);

    expectError(await member.client.get('/auth/me'), 401, 'UNAUTHORIZED');
    expectError(await org.anonymous.post('/auth/refresh', { refreshToken: member.refreshToken }), 401, 'UNAUTHORIZED');
    for (const table of [
      'users WHERE id = $1',
      'role_users WHERE user_id = $1',
      'refresh_tokens WHERE user_id = $1',
      'user_tokens WHERE user_id = $1',
    ]) {
      expect({ table, rows: (await t.db.query(`SELECT * FROM ${table}`, [member.id])).rows }).toEqual({ table, rows: [] });
    }
    // The role itself stays.
    expect((await t.db.query(`SELECT 1 FROM roles WHERE id = $1`, [role.rows[0].id])).rows).toHaveLength(1);

    const again = await joinedMember(smtp, org, { name: 'Dee Returns' });
    expect(again.email).not.toBe(member.email);
    const reinvited = await org.admin.post('/users', { email: member.email.toUpperCase() });
    expect(reinvited.status).toBe(201);
    expect(reinvited.body).toMatchObject({ email: member.email, invitationPending: true, roleNames: [] });
    expect(reinvited.body.id).not.toBe(member.id);
    // History outlives the user.
    const history = (await auditRows(t, org.id)).filter((r) => r.resource_id === member.id).map((r) => r.event_type);
    expect(history).toEqual(expect.arrayContaining(['USER_INVITE', 'INVITATION_ACCEPT', 'USER_DELETE']));
  });

  it('an admin may delete itself while another admin remains; its token then answers 401', async () => {
    const second = await joinedMember(smtp, org, { isOrgAdmin: true });
    expect((await second.client.delete(`/users/${second.id}`)).status).toBe(204);
    expectError(await second.client.get('/users'), 401, 'UNAUTHORIZED');
  });

  it('a hook that throws refuses the whole removal: nothing changes', async () => {
    const member = await joinedMember(smtp, org);
    const failing: UserRemovalHook = {
      onUserRemoved() {
        return Promise.reject(new Error('sessions could not be ended'));
      },
    };
    hooks.push(failing);
    try {
      expectError(await org.admin.delete(`/users/${member.id}`), 500, 'INTERNAL_ERROR');
      expectError(await org.admin.patch(`/users/${member.id}`, { isActive: false }), 500, 'INTERNAL_ERROR');
    } finally {
      hooks.splice(hooks.indexOf(failing), 1);
    }
    expect((await member.client.get('/auth/me')).status).toBe(200);
    expect(await liveRefreshTokens(member.id)).toBe(1);
    expect((await org.admin.get(`/users/${member.id}`)).body).toMatchObject({ isActive: true });
  });
});
