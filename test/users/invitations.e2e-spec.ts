import { expectError, receivedBodies } from '../harness/api-client';
import { auditRows, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { FakeSmtpServer } from '../fakes/smtp-server';
import {
  adminOperations,
  APP_URL,
  GOOD_PASSWORD,
  invite,
  mailsTo,
  startUsersApp,
  tokenOf,
  uniqueEmail,
  UsersTestApp,
} from './users-harness';

jest.setTimeout(90_000);

/** §9: invite -> the mail arrives over SMTP -> its link's token sets the password -> the member signs in. */
describe('invitations, end to end over SMTP', () => {
  let app: UsersTestApp;
  let t: TestApp;
  let smtp: FakeSmtpServer;
  let org: TestOrganization;
  /** Every invitation token and password these tests used: none may leak (see the last test). */
  const secrets: string[] = [];

  beforeAll(async () => {
    app = await startUsersApp();
    ({ t, smtp } = app);
    org = await registerOrganization(t, 'Invite Co');
  });
  afterAll(async () => app?.close());

  it('walks the whole path: invite, mail, set password, sign in, 403 on admin routes, spent link refused', async () => {
    const email = uniqueEmail('Grace');
    const created = await org.admin.post('/users', { email, name: 'Grace Hopper' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/v1/users/${created.body.id}`);
    expect(created.body).toMatchObject({
      email: email.toLowerCase(),
      name: 'Grace Hopper',
      isOrgAdmin: false,
      isActive: true,
      invitationPending: true,
      mfaEnabled: false,
      lastLoginAt: null,
      roleNames: [],
    });

    // The mail: subject, plain text and HTML, the link with the token, nothing else secret.
    const [mail] = await mailsTo(smtp, email.toLowerCase());
    expect(mail.parsed.subject).toBe(`You are invited to ${org.name} on EntryGuard`);
    const token = tokenOf(mail);
    secrets.push(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const link = `${APP_URL}/set-password?token=${token}`;
    expect(mail.parsed.text).toContain(link);
    expect(mail.parsed.text).toContain(org.email);
    expect(mail.parsed.text).toContain('7 days');
    expect(mail.parsed.html).toContain(`<a href="${link}">`);
    // Stored only as its SHA-256, valid 7 days.
    const stored = await t.db.query(
      `SELECT token_hash, extract(epoch FROM expires_at - created_at)::int AS ttl FROM user_tokens WHERE user_id = $1`,
      [created.body.id],
    );
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0].token_hash).not.toContain(token);
    expect(Math.abs(stored.rows[0].ttl - 7 * 86_400)).toBeLessThan(5);

    // Not signed in yet: there is no password.
    expectError(
      await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email, password: GOOD_PASSWORD }),
      401,
      'UNAUTHORIZED',
    );

    const accepted = await org.anonymous.post('/auth/set-password', { inviteToken: token, password: GOOD_PASSWORD });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { id: created.body.id, email: email.toLowerCase(), isOrgAdmin: false, organizationId: org.id, organizationSlug: org.slug },
    });
    const row = (await t.db.query(`SELECT * FROM users WHERE id = $1`, [created.body.id])).rows[0];
    expect(row).toMatchObject({ invitation_pending: false, is_active: true });
    expect(row.email_verified_at).toBeInstanceOf(Date);
    expect(row.password_changed_at).toBeInstanceOf(Date);
    expect(row.password_hash).toMatch(/^\$argon2id\$/);

    const login = await org.anonymous.post('/auth/login', {
      organizationSlug: org.slug,
      email: email.toUpperCase(),
      password: GOOD_PASSWORD,
    });
    expect(login.status).toBe(200);
    const member = org.anonymous.as(login.body.accessToken);
    expect((await member.get('/auth/me')).body).toMatchObject({ id: created.body.id, isOrgAdmin: false });

    // A member: 403 FORBIDDEN on every operation the document marks ORG_ADMIN (the users API among them).
    const operations = await adminOperations(t);
    expect(operations.map((op) => op.operationId)).toEqual(
      expect.arrayContaining(['createUser', 'listUsers', 'getUser', 'updateUser', 'deleteUser', 'resendInvitation', 'createCredential']),
    );
    for (const op of operations) {
      const response = await member.request(
        op.method,
        op.path.replace(/\{[^}]+\}/g, created.body.id),
        ['POST', 'PATCH'].includes(op.method) ? {} : undefined,
      );
      expect({ op: op.operationId, status: response.status, error: response.body?.error }).toEqual({
        op: op.operationId,
        status: 403,
        error: 'FORBIDDEN',
      });
    }

    // The link worked once.
    const again = await org.anonymous.post('/auth/set-password', { inviteToken: token, password: 'Another password 2' });
    expectError(again, 400, 'INVALID_TOKEN');
    expect(again.body.message).toBe('The invitation link is invalid or has expired');
    expect((await org.admin.get(`/users/${created.body.id}`)).body).toMatchObject({ invitationPending: false, isActive: true });

    const rows = (await auditRows(t, org.id)).filter((r) => r.resource_id === created.body.id || r.actor_email === email.toLowerCase());
    // The login before the password existed failed; the member's refusals are FORBIDDEN, whatever the route.
    const failures = rows.filter((r) => r.result === 'FAILURE');
    expect([...new Set(failures.map((r) => `${r.event_type === 'USER_LOGIN' ? 'USER_LOGIN' : '*'}:${r.error_code}`))].sort()).toEqual([
      '*:FORBIDDEN',
      'USER_LOGIN:UNAUTHORIZED',
    ]);
    const events = rows.filter((r) => r.result === 'SUCCESS').map((r) => [r.event_type, r.result, r.actor_email]);
    expect(events).toEqual([
      ['USER_INVITE', 'SUCCESS', org.email],
      ['INVITATION_ACCEPT', 'SUCCESS', email.toLowerCase()],
      ['USER_LOGIN', 'SUCCESS', email.toLowerCase()],
    ]);
  });

  it('answers unknown, spent and expired tokens with one and the same 400 INVALID_TOKEN', async () => {
    const expired = await invite(smtp, org);
    secrets.push(expired.token);
    await t.db.query(`UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [expired.user.id]);
    const spent = await invite(smtp, org);
    secrets.push(spent.token);
    expect((await org.anonymous.post('/auth/set-password', { inviteToken: spent.token, password: GOOD_PASSWORD })).status).toBe(200);

    const bodies = new Set<string>();
    for (const inviteToken of [expired.token, spent.token, 'A'.repeat(43), 'not-a-token', `${spent.token}x`]) {
      const response = await org.anonymous.post('/auth/set-password', { inviteToken, password: GOOD_PASSWORD });
      expectError(response, 400, 'INVALID_TOKEN');
      bodies.add(JSON.stringify({ ...response.body, timestamp: undefined }));
    }
    expect([...bodies]).toEqual([JSON.stringify({ error: 'INVALID_TOKEN', message: 'The invitation link is invalid or has expired' })]);
    expect((await org.admin.get(`/users/${expired.user.id}`)).body.invitationPending).toBe(true);
  });

  it("refuses a password the organization's policy does not allow, naming each rule, and keeps the link usable", async () => {
    const { user, token } = await invite(smtp, org);
    secrets.push(token);
    const weak = 'alllowercase';
    secrets.push(weak);
    const refused = await org.anonymous.post('/auth/set-password', { inviteToken: token, password: weak });
    expectError(refused, 400, 'VALIDATION_ERROR');
    expect(refused.body.details).toEqual([
      { field: 'password', message: 'must contain an upper-case letter' },
      { field: 'password', message: 'must contain a digit' },
    ]);
    // Too short is refused before the token is even looked at, under the same field name.
    const short = await org.anonymous.post('/auth/set-password', { inviteToken: token, password: 'Ab1' });
    expectError(short, 400, 'VALIDATION_ERROR');
    expect(short.body.details.map((d: { field: string }) => d.field)).toEqual(['password']);
    const missing = await org.anonymous.post('/auth/set-password', { password: GOOD_PASSWORD, extra: 1 });
    expectError(missing, 400, 'VALIDATION_ERROR');
    expect(new Set(missing.body.details.map((d: { field: string }) => d.field))).toEqual(new Set(['extra', 'inviteToken']));

    // The refusals spent nothing: the same link still works.
    const accepted = await org.anonymous.post('/auth/set-password', { inviteToken: token, password: GOOD_PASSWORD });
    expect(accepted.status).toBe(200);
    expect(accepted.body.user.id).toBe(user.id);
  });

  it('resending mails a new link and kills the old one; resending after acceptance is 400', async () => {
    const { user, token: first, email } = await invite(smtp, org, { isOrgAdmin: true });
    secrets.push(first);
    const resent = await org.admin.post(`/users/${user.id}/resend-invitation`);
    expect(resent.status).toBe(200);
    expect(resent.body).toEqual({ message: 'Invitation resent successfully' });
    const mails = await mailsTo(smtp, email, 2);
    const second = tokenOf(mails[1]);
    secrets.push(second);
    expect(second).not.toBe(first);

    expectError(await org.anonymous.post('/auth/set-password', { inviteToken: first, password: GOOD_PASSWORD }), 400, 'INVALID_TOKEN');
    const accepted = await org.anonymous.post('/auth/set-password', { inviteToken: second, password: GOOD_PASSWORD });
    expect(accepted.status).toBe(200);
    expect(accepted.body.user.isOrgAdmin).toBe(true);

    const late = await org.admin.post(`/users/${user.id}/resend-invitation`);
    expectError(late, 400, 'VALIDATION_ERROR');
    expect(late.body.details).toEqual([{ field: 'id', message: 'the user has already accepted the invitation' }]);
    // No third mail went out.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.received.filter((mail) => mail.to.includes(email))).toHaveLength(2);

    const rows = (await auditRows(t, org.id)).filter((r) => r.resource_id === user.id);
    expect(rows.map((r) => [r.event_type, r.result, r.error_code, r.details])).toEqual([
      ['USER_INVITE', 'SUCCESS', null, { email, isOrgAdmin: true }],
      ['USER_INVITE', 'SUCCESS', null, { email, invitationResent: true }],
      ['INVITATION_ACCEPT', 'SUCCESS', null, { email }],
      ['USER_INVITE', 'FAILURE', 'VALIDATION_ERROR', {}],
    ]);
  });

  it('lets exactly one of two racing set-password requests spend a link', async () => {
    for (let round = 0; round < 5; round++) {
      const { token } = await invite(smtp, org);
      secrets.push(token);
      const results = await Promise.all(
        ['Racer one 1A', 'Racer two 2B'].map((password) => org.anonymous.post('/auth/set-password', { inviteToken: token, password })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
      expect(results.find((r) => r.status === 400)?.body.error).toBe('INVALID_TOKEN');
    }
  });

  it('never shows an invitation token or a password in a log line, an audit row, a stored row or a response', async () => {
    secrets.push(GOOD_PASSWORD, org.password);
    expect(secrets.length).toBeGreaterThan(10);
    const logs = t.logs.join('\n');
    const audit = (await t.db.query(`SELECT string_agg((audit_logs.*)::text, E'\\n') AS text FROM audit_logs`)).rows[0].text as string;
    const stored = (
      await t.db.query(
        `SELECT (SELECT string_agg((user_tokens.*)::text, E'\\n') FROM user_tokens) || (SELECT string_agg((jobs.*)::text, E'\\n') FROM jobs) || (SELECT string_agg((users.*)::text, E'\\n') FROM users) AS text`,
      )
    ).rows[0].text as string;
    const responses = receivedBodies.join('\n');
    for (const secret of secrets) {
      expect({ secret, inLogs: logs.includes(secret) }).toEqual({ secret, inLogs: false });
      expect({ secret, inAudit: audit.includes(secret) }).toEqual({ secret, inAudit: false });
      expect({ secret, inTables: stored.includes(secret) }).toEqual({ secret, inTables: false });
      expect({ secret, inResponses: responses.includes(secret) }).toEqual({ secret, inResponses: false });
    }
  });
});
