import { randomUUID } from 'node:crypto';
import { ApiClient, expectError } from '../harness/api-client';
import { ISO_UTC } from '../harness/contract';
import { auditRows, createMember, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { FakeSmtpServer } from '../fakes/smtp-server';
import { invite, mailsTo, startUsersApp, uniqueEmail, USER_KEYS, UsersTestApp } from './users-harness';

jest.setTimeout(90_000);

/** §9's users API: shapes, validation with field names, 409, isolation, order of checks, audit rows. */
describe('users API', () => {
  let app: UsersTestApp;
  let t: TestApp;
  let smtp: FakeSmtpServer;
  let org: TestOrganization;
  let other: TestOrganization;
  let member: ApiClient;

  beforeAll(async () => {
    app = await startUsersApp();
    ({ t, smtp } = app);
    [org, other] = [await registerOrganization(t, 'People'), await registerOrganization(t, 'Others')];
    member = await createMember(t, org);
  });
  afterAll(async () => app?.close());

  it('lists the organization as a bare array in the shape of §9, with role names from one query', async () => {
    const { user } = await invite(smtp, org, { name: 'Lin Roles' });
    const roleIds = [];
    for (const name of ['Zeta ops', 'alpha devs']) {
      const role = await t.db.query(`INSERT INTO roles (organization_id, name) VALUES ($1, $2) RETURNING id`, [org.id, name]);
      roleIds.push(role.rows[0].id);
      await t.db.query(`INSERT INTO role_users (organization_id, role_id, user_id) VALUES ($1, $2, $3)`, [
        org.id,
        role.rows[0].id,
        user.id,
      ]);
    }

    const list = await org.admin.get('/users');
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((u: { email: string }) => u.email)).toContain(org.email);
    for (const u of list.body) {
      expect(Object.keys(u).sort()).toEqual(USER_KEYS);
      expect(u.createdAt).toMatch(ISO_UTC);
      expect(u.updatedAt).toMatch(ISO_UTC);
    }
    // Oldest first: the admin who registered.
    expect(list.body[0]).toMatchObject({ id: org.auth.user.id, isOrgAdmin: true, isActive: true, invitationPending: false, roleNames: [] });
    expect(list.body[0].lastLoginAt).toBeNull();
    expect(list.body.find((u: { id: string }) => u.id === user.id).roleNames).toEqual(['alpha devs', 'Zeta ops']);
    // Nobody of the other organization.
    expect(list.body.map((u: { email: string }) => u.email)).not.toContain(other.email);

    const one = await org.admin.get(`/users/${user.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(list.body.find((u: { id: string }) => u.id === user.id));
  });

  it('stores emails lower-case and refuses the same email in any case with 409, while another organization may use it', async () => {
    const email = uniqueEmail('Mixed.Case');
    const created = await org.admin.post('/users', { email: `  ${email.toUpperCase()} ` });
    expect(created.status).toBe(201);
    expect(created.body.email).toBe(email.toLowerCase());
    for (const variant of [email, email.toLowerCase(), email.toUpperCase()]) {
      const taken = await org.admin.post('/users', { email: variant, isOrgAdmin: true });
      expectError(taken, 409, 'USER_ALREADY_EXISTS');
      expect(taken.body.message).toBe(`A user with email '${email.toLowerCase()}' already exists in this organization`);
    }
    // The admin's own address, registered through /auth/register.
    expectError(await org.admin.post('/users', { email: org.email.toUpperCase() }), 409, 'USER_ALREADY_EXISTS');
    expect((await other.admin.post('/users', { email })).status).toBe(201);
    // A 409 sends no mail and leaves one row.
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM users WHERE organization_id = $1 AND email = $2`, [
      org.id,
      email.toLowerCase(),
    ]);
    expect(rows[0].n).toBe(1);
  });

  it('lets one of many concurrent invitations of one email win; the rest are 409', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(Array.from({ length: 6 }, () => org.admin.post('/users', { email })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    await mailsTo(smtp, email);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.received.filter((mail) => mail.to.includes(email))).toHaveLength(1);
  });

  it('refuses bad bodies and ids with 400 VALIDATION_ERROR naming each field', async () => {
    const cases: Array<[string, string, unknown, string[]]> = [
      ['POST', '/users', { email: 'not-an-email' }, ['email']],
      ['POST', '/users', {}, ['email']],
      ['POST', '/users', { email: uniqueEmail(), name: '' }, ['name']],
      ['POST', '/users', { email: uniqueEmail(), name: 'x'.repeat(201) }, ['name']],
      ['POST', '/users', { email: uniqueEmail(), isOrgAdmin: 'yes' }, ['isOrgAdmin']],
      ['POST', '/users', { email: uniqueEmail(), role: 'ORG_ADMIN' }, ['role']],
      ['POST', '/users', { email: uniqueEmail(), organizationId: other.id }, ['organizationId']],
      ['POST', '/users', { email: uniqueEmail(), password: 'Sneaky pass 1' }, ['password']],
      ['PATCH', `/users/${org.auth.user.id}`, { isActive: null }, ['isActive']],
      ['PATCH', `/users/${org.auth.user.id}`, { isOrgAdmin: 'false' }, ['isOrgAdmin']],
      ['PATCH', `/users/${org.auth.user.id}`, { name: null }, ['name']],
      ['PATCH', `/users/${org.auth.user.id}`, { email: 'new@example.test' }, ['email']],
      ['PATCH', `/users/${org.auth.user.id}`, {}, ['body']],
      ['GET', '/users/not-a-uuid', undefined, ['id']],
      ['DELETE', '/users/123', undefined, ['id']],
      ['POST', '/users/nope/resend-invitation', undefined, ['id']],
    ];
    for (const [method, path, body, fields] of cases) {
      const response = await org.admin.request(method, path, body);
      expectError(response, 400, 'VALIDATION_ERROR');
      expect({ method, path, fields: [...new Set(response.body.details.map((d: { field: string }) => d.field))].sort() }).toEqual({
        method,
        path,
        fields,
      });
    }
  });

  it("answers another organization's user exactly like a random id: 404 USER_NOT_FOUND, and changes nothing there", async () => {
    const { user: foreign } = await invite(smtp, other);
    const before = (await t.db.query(`SELECT * FROM users WHERE organization_id = $1 ORDER BY id`, [other.id])).rows;
    const attempts: Array<[string, string, unknown]> = [
      ['GET', '/users/{id}', undefined],
      ['PATCH', '/users/{id}', { name: 'Taken over', isOrgAdmin: true, isActive: false }],
      ['DELETE', '/users/{id}', undefined],
      ['POST', '/users/{id}/resend-invitation', undefined],
    ];
    for (const [method, path, body] of attempts) {
      for (const id of [foreign.id, other.auth.user.id]) {
        const random = randomUUID();
        const theirs = await org.admin.request(method, path.replace('{id}', id), body);
        const unknown = await org.admin.request(method, path.replace('{id}', random), body);
        expectError(theirs, 404, 'USER_NOT_FOUND');
        expect(theirs.body.message).toBe(`User with ID ${id} not found`);
        expect({ ...theirs.body, timestamp: 0, message: theirs.body.message.replace(id, '<id>') }).toEqual({
          ...unknown.body,
          timestamp: 0,
          message: unknown.body.message.replace(random, '<id>'),
        });
      }
    }
    const after = (await t.db.query(`SELECT * FROM users WHERE organization_id = $1 ORDER BY id`, [other.id])).rows;
    expect(after).toEqual(before);
    expect((await auditRows(t, other.id)).filter((r) => r.result === 'FAILURE')).toEqual([]);
  });

  it('checks in the order of §1: 401, then 403, then 400, then 404, then the rules', async () => {
    const random = randomUUID();
    const anonymous = new ApiClient(t.baseUrl);
    expectError(await anonymous.patch('/users/not-a-uuid', { isActive: 'no' }), 401, 'UNAUTHORIZED');
    expectError(await anonymous.get('/users'), 401, 'UNAUTHORIZED');
    expectError(await member.patch('/users/not-a-uuid', { isActive: 'no' }), 403, 'FORBIDDEN');
    expectError(await member.post('/users', { email: 'bad' }), 403, 'FORBIDDEN');
    expectError(await org.admin.patch(`/users/${random}`, { isActive: 'no' }), 400, 'VALIDATION_ERROR');
    expectError(await org.admin.patch(`/users/${random}`, { isActive: false }), 404, 'USER_NOT_FOUND');
    expectError(await org.admin.patch(`/users/${org.auth.user.id}`, { isActive: false }), 400, 'LAST_ADMIN');
  });

  it('updates name, role and activity, and audits each mutation and refusal in its own transaction', async () => {
    const { user, email } = await invite(smtp, org, { name: 'Before' });
    const renamed = await org.admin.patch(`/users/${user.id}`, { name: '  After  ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: user.id, name: 'After', isOrgAdmin: false, isActive: true });
    expect(Date.parse(renamed.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(user.updatedAt));
    const promoted = await org.admin.patch(`/users/${user.id}`, { isOrgAdmin: true, isActive: false });
    expect(promoted.body).toMatchObject({ isOrgAdmin: true, isActive: false, invitationPending: true });
    // Sending what is already there changes nothing but is still a (recorded) update.
    expect((await org.admin.patch(`/users/${user.id}`, { isOrgAdmin: true })).status).toBe(200);
    expectError(await org.admin.post(`/users/${user.id}/resend-invitation`), 400, 'VALIDATION_ERROR');
    expect((await org.admin.delete(`/users/${user.id}`)).status).toBe(204);
    expectError(await org.admin.get(`/users/${user.id}`), 404, 'USER_NOT_FOUND');
    expectError(await org.admin.delete(`/users/${user.id}`), 404, 'USER_NOT_FOUND');

    const rows = (await auditRows(t, org.id)).filter((r) => r.resource_id === user.id);
    expect(rows.map((r) => [r.event_type, r.result, r.error_code, r.actor_email, r.resource_type, r.resource_name, r.details])).toEqual([
      ['USER_INVITE', 'SUCCESS', null, org.email, 'USER', email, { email, isOrgAdmin: false }],
      ['USER_UPDATE', 'SUCCESS', null, org.email, 'USER', email, { email, changedFields: ['name'], isOrgAdmin: false, isActive: true }],
      [
        'USER_UPDATE',
        'SUCCESS',
        null,
        org.email,
        'USER',
        email,
        { email, changedFields: ['isOrgAdmin', 'isActive'], isOrgAdmin: true, isActive: false },
      ],
      ['USER_UPDATE', 'SUCCESS', null, org.email, 'USER', email, { email, changedFields: [], isOrgAdmin: true, isActive: false }],
      ['USER_INVITE', 'FAILURE', 'VALIDATION_ERROR', org.email, 'USER', email, {}],
      ['USER_DELETE', 'SUCCESS', null, org.email, 'USER', email, { email, isOrgAdmin: true }],
      ['USER_DELETE', 'FAILURE', 'USER_NOT_FOUND', org.email, 'USER', null, {}],
    ]);
    // Refusals of the 409 kind are recorded too, with the email as the target's name.
    const conflict = await org.admin.post('/users', { email: org.email });
    expectError(conflict, 409, 'USER_ALREADY_EXISTS');
    const last = (await auditRows(t, org.id)).pop()!;
    expect(last).toMatchObject({
      event_type: 'USER_INVITE',
      result: 'FAILURE',
      error_code: 'USER_ALREADY_EXISTS',
      resource_name: org.email,
    });
  });

  it('rolls back the user and its mail together when the audit row cannot be written', async () => {
    const email = uniqueEmail('rollback');
    await t.db.query(`ALTER TABLE audit_logs ADD CONSTRAINT ck_test_no_invites CHECK (event_type <> 'USER_INVITE') NOT VALID`);
    try {
      const response = await org.admin.post('/users', { email });
      expectError(response, 500, 'INTERNAL_ERROR');
    } finally {
      await t.db.query(`ALTER TABLE audit_logs DROP CONSTRAINT ck_test_no_invites`);
    }
    expect((await t.db.query(`SELECT 1 FROM users WHERE email = $1`, [email])).rows).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(smtp.received.filter((mail) => mail.to.includes(email))).toEqual([]);
  });
});
