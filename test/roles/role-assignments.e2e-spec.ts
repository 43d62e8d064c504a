import { randomUUID } from 'node:crypto';
import { ApiResponse, expectError } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';
import { createResource, createRole, insertUser, roleAudit, roleTables } from './roles-fixtures';

jest.setTimeout(60_000);

/** §12: users and resources in roles, their 404s and 409s, tenancy, and what deleting detaches. */
describe('roles: assignments', () => {
  let t: TestApp;
  let org: TestOrganization;
  let other: TestOrganization;

  beforeAll(async () => {
    t = await startTestApp({ DB_POOL_SIZE: '20' });
    org = await registerOrganization(t, 'Assign');
    other = await registerOrganization(t, 'Assign other');
  });
  afterAll(async () => t?.close());

  /** The body with the ids and timestamp masked: two refusals must then be the same text. */
  const masked = (response: ApiResponse, id: string) =>
    response.text
      .split(id)
      .join('<ID>')
      .replace(/"timestamp":"[^"]*"/, '');

  it('assigns and unassigns a user: 200 with the message, listed in userIds, 204, audited', async () => {
    const role = await createRole(org);
    const user = await insertUser(t, org.id);
    const assigned = await org.admin.post(`/roles/${role.id}/users/${user.id}`);
    expect(assigned.status).toBe(200);
    expect(assigned.body).toEqual({ message: 'User assigned to role successfully' });
    expect((await org.admin.get(`/roles/${role.id}`)).body.userIds).toEqual([user.id]);

    const again = await org.admin.post(`/roles/${role.id}/users/${user.id}`);
    expectError(again, 409, 'ALREADY_ASSIGNED');

    const removed = await org.admin.delete(`/roles/${role.id}/users/${user.id}`);
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    expect((await org.admin.get(`/roles/${role.id}`)).body.userIds).toEqual([]);
    expectError(await org.admin.delete(`/roles/${role.id}/users/${user.id}`), 404, 'NOT_FOUND');

    const rows = await roleAudit(t, org.id, role.id);
    expect(rows.map((row) => [row.event_type, row.result, row.error_code])).toEqual([
      ['ROLE_CREATE', 'SUCCESS', null],
      ['ROLE_USER_ASSIGN', 'SUCCESS', null],
      ['ROLE_USER_ASSIGN', 'FAILURE', 'ALREADY_ASSIGNED'],
      ['ROLE_USER_UNASSIGN', 'SUCCESS', null],
      ['ROLE_USER_UNASSIGN', 'FAILURE', 'NOT_FOUND'],
    ]);
    expect(rows[1]).toMatchObject({ resource_name: role.name, details: { roleName: role.name, userId: user.id, email: user.email } });
    expect(rows[2]).toMatchObject({ resource_name: role.name });
  });

  it('assigns and unassigns a resource: 200 with the message, listed in resourceIds, 204, audited', async () => {
    const role = await createRole(org);
    const resource = await createResource(org);
    const assigned = await org.admin.post(`/roles/${role.id}/resources/${resource.id}`);
    expect(assigned.status).toBe(200);
    expect(assigned.body).toEqual({ message: 'Resource assigned to role successfully' });
    expect((await org.admin.get(`/roles/${role.id}`)).body.resourceIds).toEqual([resource.id]);
    expectError(await org.admin.post(`/roles/${role.id}/resources/${resource.id}`), 409, 'ALREADY_ASSIGNED');
    expect((await org.admin.delete(`/roles/${role.id}/resources/${resource.id}`)).status).toBe(204);
    expectError(await org.admin.delete(`/roles/${role.id}/resources/${resource.id}`), 404, 'NOT_FOUND');

    const rows = await roleAudit(t, org.id, role.id);
    expect(rows.map((row) => [row.event_type, row.result, row.error_code])).toEqual([
      ['ROLE_CREATE', 'SUCCESS', null],
      ['ROLE_RESOURCE_ASSIGN', 'SUCCESS', null],
      ['ROLE_RESOURCE_ASSIGN', 'FAILURE', 'ALREADY_ASSIGNED'],
      ['ROLE_RESOURCE_UNASSIGN', 'SUCCESS', null],
      ['ROLE_RESOURCE_UNASSIGN', 'FAILURE', 'NOT_FOUND'],
    ]);
    expect(rows[1].details).toEqual({ roleName: role.name, resourceId: resource.id, resourceName: resource.name });
  });

  it('lists every id of every role in one response (several users and resources per role)', async () => {
    const own = await registerOrganization(t, 'Assign list');
    const roles = [await createRole(own), await createRole(own)];
    const users = [await insertUser(t, own.id), await insertUser(t, own.id), await insertUser(t, own.id)];
    const resources = [await createResource(own), await createResource(own)];
    for (const user of users) expect((await own.admin.post(`/roles/${roles[0].id}/users/${user.id}`)).status).toBe(200);
    for (const resource of resources) expect((await own.admin.post(`/roles/${roles[0].id}/resources/${resource.id}`)).status).toBe(200);
    expect((await own.admin.post(`/roles/${roles[1].id}/users/${users[0].id}`)).status).toBe(200);
    const list = (await own.admin.get('/roles')).body as Array<Record<string, any>>;
    const byId = Object.fromEntries(list.map((role) => [role.id, role]));
    // In assignment order.
    expect(byId[roles[0].id].userIds).toEqual(users.map((u) => u.id));
    expect(byId[roles[0].id].resourceIds).toEqual(resources.map((r) => r.id));
    expect(byId[roles[1].id]).toMatchObject({ userIds: [users[0].id], resourceIds: [] });
  });

  it('a missing role, user or resource is its own 404, checked role first', async () => {
    const role = await createRole(org);
    const user = await insertUser(t, org.id);
    const resource = await createResource(org);
    const missing = randomUUID();
    const cases: Array<[string, string, string, string]> = [
      ['POST', `/roles/${missing}/users/${user.id}`, 'ROLE_NOT_FOUND', `Role with ID ${missing} not found`],
      ['DELETE', `/roles/${missing}/users/${user.id}`, 'ROLE_NOT_FOUND', `Role with ID ${missing} not found`],
      ['POST', `/roles/${missing}/resources/${resource.id}`, 'ROLE_NOT_FOUND', `Role with ID ${missing} not found`],
      ['DELETE', `/roles/${missing}/resources/${resource.id}`, 'ROLE_NOT_FOUND', `Role with ID ${missing} not found`],
      ['POST', `/roles/${missing}/users/${missing}`, 'ROLE_NOT_FOUND', `Role with ID ${missing} not found`],
      ['POST', `/roles/${role.id}/users/${missing}`, 'USER_NOT_FOUND', `User with ID ${missing} not found`],
      ['DELETE', `/roles/${role.id}/users/${missing}`, 'USER_NOT_FOUND', `User with ID ${missing} not found`],
      ['POST', `/roles/${role.id}/resources/${missing}`, 'RESOURCE_NOT_FOUND', `Resource with ID ${missing} not found`],
      ['DELETE', `/roles/${role.id}/resources/${missing}`, 'RESOURCE_NOT_FOUND', `Resource with ID ${missing} not found`],
    ];
    for (const [method, path, code, message] of cases) {
      const response = await org.admin.request(method, path);
      expectError(response, 404, code);
      expect({ path, message: response.body.message }).toEqual({ path, message });
    }
  });

  it("another organization's role, user or resource answers exactly like a random id, and nothing changes in either", async () => {
    const role = await createRole(org);
    const user = await insertUser(t, org.id);
    const resource = await createResource(org);
    const theirRole = await createRole(other);
    const theirUser = await insertUser(t, other.id);
    const theirResource = await createResource(other);
    // Their role holds their user and resource: a foreign unassign must not reach them.
    expect((await other.admin.post(`/roles/${theirRole.id}/users/${theirUser.id}`)).status).toBe(200);
    expect((await other.admin.post(`/roles/${theirRole.id}/resources/${theirResource.id}`)).status).toBe(200);

    const beforeOurs = await roleTables(t, org.id);
    const beforeTheirs = await roleTables(t, other.id);
    const problems: string[] = [];
    const compare = async (method: string, template: (id: string) => string, foreignId: string, code: string, body?: unknown) => {
      const randomId = randomUUID();
      const foreign = await org.admin.request(method, template(foreignId), body);
      const random = await org.admin.request(method, template(randomId), body);
      if (foreign.status !== 404 || foreign.body.error !== code)
        problems.push(`${method} ${template('{x}')}: ${foreign.status} ${foreign.text}`);
      if (masked(foreign, foreignId) !== masked(random, randomId))
        problems.push(`${method} ${template('{x}')}: ${foreign.text} vs ${random.text}`);
    };
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      // A valid body: validation comes before existence (§1), so an invalid one would hide a leak.
      await compare(method, (id) => `/roles/${id}`, theirRole.id, 'ROLE_NOT_FOUND', method === 'PATCH' ? { name: 'Renamed' } : undefined);
    }
    for (const method of ['POST', 'DELETE']) {
      await compare(method, (id) => `/roles/${id}/users/${user.id}`, theirRole.id, 'ROLE_NOT_FOUND');
      await compare(method, (id) => `/roles/${id}/users/${theirUser.id}`, theirRole.id, 'ROLE_NOT_FOUND');
      await compare(method, (id) => `/roles/${id}/resources/${resource.id}`, theirRole.id, 'ROLE_NOT_FOUND');
      await compare(method, (id) => `/roles/${id}/resources/${theirResource.id}`, theirRole.id, 'ROLE_NOT_FOUND');
      await compare(method, (id) => `/roles/${role.id}/users/${id}`, theirUser.id, 'USER_NOT_FOUND');
      await compare(method, (id) => `/roles/${role.id}/resources/${id}`, theirResource.id, 'RESOURCE_NOT_FOUND');
    }
    expect(problems).toEqual([]);
    expect(await roleTables(t, org.id)).toEqual(beforeOurs);
    expect(await roleTables(t, other.id)).toEqual(beforeTheirs);
    // The refusals are FAILURE rows of the caller's organization only.
    const theirFailures = (await roleAudit(t, other.id)).filter((row) => row.result === 'FAILURE');
    expect(theirFailures).toEqual([]);
  });

  it('the database itself refuses a cross-organization assignment (composite foreign keys)', async () => {
    const role = await createRole(org);
    const theirUser = await insertUser(t, other.id);
    const theirResource = await createResource(other);
    await expect(
      t.db.query('INSERT INTO role_users (organization_id, role_id, user_id) VALUES ($1, $2, $3)', [org.id, role.id, theirUser.id]),
    ).rejects.toMatchObject({ code: '23503', constraint: 'fk_role_users_user' });
    await expect(
      t.db.query('INSERT INTO role_resources (organization_id, role_id, resource_id) VALUES ($1, $2, $3)', [
        other.id,
        role.id,
        theirResource.id,
      ]),
    ).rejects.toMatchObject({ code: '23503', constraint: 'fk_role_resources_role' });
  });

  it('deleting a role detaches its users and resources; they still exist', async () => {
    const role = await createRole(org);
    const user = await insertUser(t, org.id);
    const resource = await createResource(org);
    await org.admin.post(`/roles/${role.id}/users/${user.id}`);
    await org.admin.post(`/roles/${role.id}/resources/${resource.id}`);
    expect((await org.admin.delete(`/roles/${role.id}`)).status).toBe(204);
    const links = await t.db.query(
      'SELECT (SELECT count(*)::int FROM role_users WHERE role_id = $1) AS users, (SELECT count(*)::int FROM role_resources WHERE role_id = $1) AS resources',
      [role.id],
    );
    expect(links.rows[0]).toEqual({ users: 0, resources: 0 });
    expect((await t.db.query('SELECT id FROM users WHERE id = $1', [user.id])).rows).toHaveLength(1);
    expect((await org.admin.get(`/resources/${resource.id}`)).status).toBe(200);
  });

  it('deleting a resource or a user removes it from every role', async () => {
    const roles = [await createRole(org), await createRole(org)];
    const user = await insertUser(t, org.id);
    const keptUser = await insertUser(t, org.id);
    const resource = await createResource(org);
    const keptResource = await createResource(org);
    for (const role of roles) {
      await org.admin.post(`/roles/${role.id}/users/${user.id}`);
      await org.admin.post(`/roles/${role.id}/users/${keptUser.id}`);
      await org.admin.post(`/roles/${role.id}/resources/${resource.id}`);
      await org.admin.post(`/roles/${role.id}/resources/${keptResource.id}`);
    }
    expect((await org.admin.delete(`/resources/${resource.id}`)).status).toBe(204);
    await t.db.query('DELETE FROM users WHERE id = $1', [user.id]);
    for (const role of roles) {
      const body = (await org.admin.get(`/roles/${role.id}`)).body;
      expect(body).toMatchObject({ userIds: [keptUser.id], resourceIds: [keptResource.id] });
    }
  });

  it('concurrent assignments of one user (20 rounds): exactly one 200, the rest 409, one row', async () => {
    for (let round = 0; round < 20; round++) {
      const role = await createRole(org);
      const user = await insertUser(t, org.id);
      const responses = await Promise.all(Array.from({ length: 4 }, () => org.admin.post(`/roles/${role.id}/users/${user.id}`)));
      expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
      for (const refused of responses.filter((r) => r.status !== 200)) expectError(refused, 409, 'ALREADY_ASSIGNED');
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM role_users WHERE role_id = $1', [role.id]);
      expect(rows[0].n).toBe(1);
    }
  });

  it('assigning to a role while it is deleted never leaves a link or answers 500 (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const role = await createRole(org);
      const user = await insertUser(t, org.id);
      const [assigned, deleted] = await Promise.all([
        org.admin.post(`/roles/${role.id}/users/${user.id}`),
        org.admin.delete(`/roles/${role.id}`),
      ]);
      expect(deleted.status).toBe(204);
      expect([200, 404]).toContain(assigned.status);
      if (assigned.status === 404) expectError(assigned, 404, 'ROLE_NOT_FOUND');
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM role_users WHERE role_id = $1', [role.id]);
      expect(rows[0].n).toBe(0);
    }
  });
});
