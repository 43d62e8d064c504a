import { randomUUID } from 'node:crypto';
import { expectError, receivedBodies } from '../harness/api-client';
import { auditRows, registerOrganization, TestOrganization } from '../harness/factories';
import {
  APP_URL,
  createUser,
  detailLines,
  login,
  mailsTo,
  NEW_PASSWORD,
  passwordChangedAt,
  PasswordsTestApp,
  refresh,
  requestReset,
  resetLinkOf,
  setPolicy,
  signIn,
  startPasswordsApp,
} from './passwords-harness';

const INVALID_RESET = 'The reset link is invalid or has expired';

/** POST /auth/forgot-password and POST /auth/reset-password (decisions §10), mail over real SMTP. */
describe('forgot-password and reset-password', () => {
  let app: PasswordsTestApp;
  let org: TestOrganization;

  beforeAll(async () => {
    app = await startPasswordsApp();
    org = await registerOrganization(app.t, 'Forgot');
  });
  afterAll(async () => app?.close());

  const forgot = (email: string, slug = org.slug) => org.anonymous.post('/auth/forgot-password', { organizationSlug: slug, email });
  const reset = (token: string, password = NEW_PASSWORD) => org.anonymous.post('/auth/reset-password', { token, password });

  async function resetRequestRows(organizationId: string) {
    return (await auditRows(app.t, organizationId)).filter((row) => row.event_type === 'PASSWORD_RESET_REQUEST');
  }

  it('mails a working link to an existing user: 204 with no body, a reset that signs in, and the rows it promises', async () => {
    const user = await createUser(app.t, org);
    const session = await signIn(org, user);
    const before = await passwordChangedAt(app.t, user.id);

    // Any case and surrounding spaces find the same user.
    const answer = await forgot(`  ${user.email.toUpperCase()} `);
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');

    const [mail] = await mailsTo(app.smtp, user.email);
    expect(mail.parsed.subject).toBe('Reset your EntryGuard password');
    const { link, token } = resetLinkOf(mail);
    expect(link).toBe(`${APP_URL}/reset-password?token=${token}`);
    expect(mail.parsed.html).toContain(`href="${link}"`);

    // Only the token's hash is stored; the audit row is in the user's organization and holds no token.
    const stored = await app.t.db.query(`SELECT token_hash, expires_at - created_at AS ttl FROM user_tokens WHERE user_id = $1`, [user.id]);
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0].token_hash).not.toContain(token);
    expect(stored.rows[0].ttl).toMatchObject({ hours: 1 });
    const requests = await resetRequestRows(org.id);
    // Written after the answer, still with the request's address and id.
    expect(requests.filter((row) => row.resource_id === user.id).map((row) => [row.actor_type, row.result, row.ip_address])).toEqual([
      ['ANONYMOUS', 'SUCCESS', '127.0.0.1'],
    ]);
    expect(requests[requests.length - 1].request_id).toEqual(expect.any(String));
    expect(JSON.stringify(requests)).not.toContain(token);

    const done = await reset(token);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { id: user.id, email: user.email, organizationId: org.id },
    });
    expect(Object.keys(done.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType', 'user']);
    expect((await org.anonymous.as(done.body.accessToken).get('/auth/me')).body.id).toBe(user.id);

    expectError(await login(org, user), 401, 'UNAUTHORIZED');
    expect((await login(org, { ...user, password: NEW_PASSWORD })).status).toBe(200);
    expect((await passwordChangedAt(app.t, user.id)).getTime()).toBeGreaterThan(before.getTime());
    // Every refresh token from before the reset is dead; the reset's own works.
    expectError(await refresh(org.anonymous, session.refreshToken), 401, 'UNAUTHORIZED');
    expect((await refresh(org.anonymous, done.body.refreshToken)).status).toBe(200);

    const resets = (await auditRows(app.t, org.id)).filter((row) => row.event_type === 'PASSWORD_RESET');
    expect(resets.map((row) => [row.actor_id, row.resource_id, row.result])).toEqual([[user.id, user.id, 'SUCCESS']]);
  });

  it('spends the token once: a second reset with it is 400 INVALID_TOKEN, with the same message as an unknown token', async () => {
    const user = await createUser(app.t, org);
    const token = await requestReset(app, org, user.email);
    expect((await reset(token)).status).toBe(200);

    const spent = await reset(token, 'Another new secret 3');
    expectError(spent, 400, 'INVALID_TOKEN');
    expect(spent.body.message).toBe(INVALID_RESET);
    for (const unknown of ['A'.repeat(43), 'x', randomUUID()]) {
      const answer = await reset(unknown);
      expectError(answer, 400, 'INVALID_TOKEN');
      expect(answer.body.message).toBe(INVALID_RESET);
    }
    expect((await login(org, { ...user, password: NEW_PASSWORD })).status).toBe(200);
  });

  it('refuses an expired token (1 hour) with the same INVALID_TOKEN', async () => {
    const user = await createUser(app.t, org);
    const token = await requestReset(app, org, user.email);
    await app.t.db.query(`UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.id]);
    const expired = await reset(token);
    expectError(expired, 400, 'INVALID_TOKEN');
    expect(expired.body.message).toBe(INVALID_RESET);
    expect((await login(org, user)).status).toBe(200);
  });

  it('keeps the token when the password is refused (each rule under `password`), and accepts a good one with it', async () => {
    const strict = await registerOrganization(app.t, 'Strict reset');
    await setPolicy(strict, { passwordMinLength: 12, passwordRequireSpecialChar: true, passwordRequireUppercase: false });
    const user = await createUser(app.t, strict);
    const token = await requestReset(app, strict, user.email);

    const refused = await reset(token, 'abcdefgh1');
    expectError(refused, 400, 'VALIDATION_ERROR');
    expect(detailLines(refused)).toEqual(['password: must be at least 12 characters long', 'password: must contain a special character']);
    const tooLong = await reset(token, `a1!${'b'.repeat(126)}`);
    expect(detailLines(tooLong)).toEqual(['password: must be at most 128 characters long']);
    expect((await login(strict, user)).status).toBe(200);

    // No upper-case letter needed in this organization.
    expect((await reset(token, 'lower-case only 12')).status).toBe(200);
  });

  it('replaces an earlier link: after a second request, only the newest token works', async () => {
    const user = await createUser(app.t, org);
    const first = await requestReset(app, org, user.email);
    const second = await requestReset(app, org, user.email);
    expect(second).not.toBe(first);
    expectError(await reset(first), 400, 'INVALID_TOKEN');
    expect((await reset(second)).status).toBe(200);
  });

  it('answers 204 for nobody, an unknown organization, a deactivated user and a pending invitation, and sends, stores and audits nothing', async () => {
    const inactive = await createUser(app.t, org, { isActive: false });
    const invited = await createUser(app.t, org, { invitationPending: true });
    const other = await registerOrganization(app.t, 'Bystander');
    const cases = [
      forgot(`nobody-${randomUUID().slice(0, 8)}@example.test`),
      forgot(other.email, `no-such-org-${randomUUID().slice(0, 8)}`),
      forgot(org.email, other.slug),
      forgot(inactive.email),
      forgot(invited.email),
    ];
    for (const answer of await Promise.all(cases)) {
      expect(answer.status).toBe(204);
      expect(answer.text).toBe('');
    }
    // A control mail sent after them arrives; none of theirs was queued before it.
    const control = await createUser(app.t, org);
    await requestReset(app, org, control.email);
    const recipients = app.smtp.received.flatMap((mail) => mail.to);
    expect(recipients).not.toEqual(expect.arrayContaining([inactive.email]));
    expect(recipients).not.toEqual(expect.arrayContaining([invited.email]));
    expect(recipients.filter((to) => to.startsWith('nobody-') || to === org.email || to === other.email)).toEqual([]);
    const { rows } = await app.t.db.query(`SELECT count(*)::int AS n FROM user_tokens WHERE user_id = ANY($1)`, [
      [inactive.id, invited.id],
    ]);
    expect(rows[0].n).toBe(0);
    expect((await resetRequestRows(other.id)).length).toBe(0);
    expect((await resetRequestRows(org.id)).filter((row) => [inactive.id, invited.id].includes(row.resource_id))).toEqual([]);
  });

  it('refuses the token of a user deactivated after the mail', async () => {
    const user = await createUser(app.t, org);
    const token = await requestReset(app, org, user.email);
    await app.t.db.query(`UPDATE users SET is_active = false WHERE id = $1`, [user.id]);
    expectError(await reset(token), 400, 'INVALID_TOKEN');
  });

  it('keeps reset tokens, links and new passwords out of responses, logs, audit rows and tables (canaries)', async () => {
    const user = await createUser(app.t, org);
    await signIn(org, user);
    const token = await requestReset(app, org, user.email);
    const canary = `Canary ${randomUUID()} 1`;
    const refused = await reset(token, `${canary}`.toLowerCase().replace(/[0-9]/g, 'x'));
    expect(refused.status).toBe(400);
    expect((await reset(token, canary)).status).toBe(200);

    for (const secret of [token, canary]) {
      expect(receivedBodies.filter((body) => body.includes(secret))).toEqual([]);
      expect(app.t.logs.filter((line) => line.includes(secret))).toEqual([]);
      const { rows } = await app.t.db.query(
        `SELECT (SELECT count(*)::int FROM audit_logs a WHERE a::text LIKE $1) AS audit,
                (SELECT count(*)::int FROM user_tokens u WHERE u::text LIKE $1) AS tokens,
                (SELECT count(*)::int FROM users u WHERE u::text LIKE $1) AS users,
                (SELECT count(*)::int FROM jobs j WHERE j::text LIKE $1) AS jobs`,
        [`%${secret}%`],
      );
      expect(rows[0]).toEqual({ audit: 0, tokens: 0, users: 0, jobs: 0 });
    }
  });
});
