import { randomUUID } from 'node:crypto';
import { ISO_UTC } from '../harness/contract';
import { expectError } from '../harness/api-client';
import { createMember, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';
import { createRole, roleAudit, roleTables, ROLE_KEYS } from './roles-fixtures';

jest.setTimeout(60_000);

/** §12: roles, their CRUD, case-insensitive names, validation, audit and the admin-only rule. */
describe('roles: CRUD', () => {
  let t: TestApp;
  let org: TestOrganization;

  beforeAll(async () => {
    t = await startTestApp({ DB_POOL_SIZE: '20' });
    org = await registerOrganization(t, 'Roles');
  });
  afterAll(async () => t?.close());

  const fields = (response: { body: { details?: Array<{ field: string }> } }) => (response.body.details ?? []).map((d) => d.field);

  it('POST creates a role: 201, Location, the public shape, and one ROLE_CREATE row', async () => {
    const name = uniqueName('Developers');
    const response = await org.admin.post('/roles', { name: `  ${name} `, description: 'Engineers', maxSessionDurationHours: 8 });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(ROLE_KEYS);
    expect(response.body).toMatchObject({ name, description: 'Engineers', maxSessionDurationHours: 8, resourceIds: [], userIds: [] });
    expect(response.body.createdAt).toMatch(ISO_UTC);
    expect(response.body.updatedAt).toMatch(ISO_UTC);
    expect(response.headers.get('location')).toBe(`/api/v1/roles/${response.body.id}`);
    expect((await org.admin.get(`/roles/${response.body.id}`)).body).toEqual(response.body);

    const minimal = await org.admin.post('/roles', { name: uniqueName('Minimal') });
    expect(minimal.status).toBe(201);
    expect(minimal.body).toMatchObject({ description: null, maxSessionDurationHours: null });

    const rows = await roleAudit(t, org.id, response.body.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      event_type: 'ROLE_CREATE',
      result: 'SUCCESS',
      resource_type: 'ROLE',
      resource_name: name,
      actor_email: org.email,
      details: { name, description: 'Engineers', maxSessionDurationHours: 8 },
    });
  });

  it("GET /roles is a bare array of this organization's roles, newest first; GET /roles/{id} one of them", async () => {
    const own = await registerOrganization(t, 'Roles list');
    const first = await createRole(own);
    const second = await createRole(own);
    await createRole(org);
    const list = await own.admin.get('/roles');
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((role: { id: string }) => role.id)).toEqual([second.id, first.id]);
    expect(list.body[0]).toEqual(second);
  });

  it('names are unique per organization case-insensitively: 409 ROLE_ALREADY_EXISTS on create and rename', async () => {
    const name = uniqueName('Ops');
    const role = await createRole(org, { name });
    for (const taken of [name, name.toUpperCase(), name.toLowerCase(), ` ${name.toUpperCase()} `]) {
      const again = await org.admin.post('/roles', { name: taken });
      expectError(again, 409, 'ROLE_ALREADY_EXISTS');
      expect(again.body.message).toBe(`A role named '${taken.trim()}' already exists in this organization`);
    }
    const other = await createRole(org);
    expectError(await org.admin.patch(`/roles/${other.id}`, { name: name.toLowerCase() }), 409, 'ROLE_ALREADY_EXISTS');
    // A role may change the case of its own name.
    const recased = await org.admin.patch(`/roles/${role.id}`, { name: name.toUpperCase() });
    expect(recased.status).toBe(200);
    expect(recased.body.name).toBe(name.toUpperCase());
    // Another organization may use the same name.
    const elsewhere = await registerOrganization(t, 'Roles elsewhere');
    expect((await elsewhere.admin.post('/roles', { name })).status).toBe(201);
    // Refusals are audited as FAILURE, with the name they tried.
    const failures = (await roleAudit(t, org.id)).filter((row) => row.result === 'FAILURE' && row.error_code === 'ROLE_ALREADY_EXISTS');
    expect(failures.length).toBeGreaterThanOrEqual(5);
  });

  it("two concurrent creates of 'Dev' and 'DEV' (20 rounds): exactly one 201 and one 409, one row", async () => {
    for (let round = 0; round < 20; round++) {
      const base = `Dev ${randomUUID().slice(0, 8)}`;
      const responses = await Promise.all([
        org.admin.post('/roles', { name: base }),
        org.admin.post('/roles', { name: base.toUpperCase() }),
      ]);
      expect(responses.map((r) => r.status).sort()).toEqual([201, 409]);
      expectError(
        responses.find((r) => r.status === 409)!,
        409,
        'ROLE_ALREADY_EXISTS',
      );
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM roles WHERE organization_id = $1 AND lower(name) = lower($2)', [
        org.id,
        base,
      ]);
      expect(rows[0].n).toBe(1);
    }
  });

  it('PATCH changes any of the three; null clears description and maxSessionDurationHours', async () => {
    const role = await createRole(org, { description: 'before', maxSessionDurationHours: 4 });
    const renamed = await org.admin.patch(`/roles/${role.id}`, { name: `${role.name} 2` });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: `${role.name} 2`, description: 'before', maxSessionDurationHours: 4 });
    expect(Date.parse(renamed.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(role.updatedAt));

    const capped = await org.admin.patch(`/roles/${role.id}`, { maxSessionDurationHours: 168, description: 'after' });
    expect(capped.body).toMatchObject({ name: `${role.name} 2`, description: 'after', maxSessionDurationHours: 168 });

    const cleared = await org.admin.patch(`/roles/${role.id}`, { description: null, maxSessionDurationHours: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ name: `${role.name} 2`, description: null, maxSessionDurationHours: null });
    expect((await org.admin.get(`/roles/${role.id}`)).body).toEqual(cleared.body);

    const updates = (await roleAudit(t, org.id, role.id)).filter((row) => row.event_type === 'ROLE_UPDATE');
    expect(updates.map((row) => row.details.changedFields)).toEqual([
      ['name'],
      ['description', 'maxSessionDurationHours'],
      ['description', 'maxSessionDurationHours'],
    ]);
    expect(updates[0].details).toMatchObject({ previousName: role.name, name: `${role.name} 2` });
  });

  it('refuses bad bodies with 400 naming each field, and changes nothing', async () => {
    const role = await createRole(org);
    const before = await roleTables(t, org.id);
    const cases: Array<[string, string, Record<string, unknown>, string[]]> = [
      ['POST', '/roles', {}, ['name']],
      ['POST', '/roles', { name: '   ' }, ['name']],
      ['POST', '/roles', { name: 'x'.repeat(101) }, ['name']],
      ['POST', '/roles', { name: 42 }, ['name']],
      ['POST', '/roles', { name: null }, ['name']],
      ['POST', '/roles', { name: 'ok', maxSessionDurationHours: 0 }, ['maxSessionDurationHours']],
      ['POST', '/roles', { name: 'ok', maxSessionDurationHours: 169 }, ['maxSessionDurationHours']],
      ['POST', '/roles', { name: 'ok', maxSessionDurationHours: 1.5 }, ['maxSessionDurationHours']],
      ['POST', '/roles', { name: 'ok', maxSessionDurationHours: '8' }, ['maxSessionDurationHours']],
      ['POST', '/roles', { name: 'ok', description: 'x'.repeat(1001) }, ['description']],
      ['POST', '/roles', { name: 'ok', description: 7 }, ['description']],
      ['POST', '/roles', { name: 'ok', organizationId: org.id }, ['organizationId']],
      ['POST', '/roles', { name: 'ok', userIds: [] }, ['userIds']],
      ['POST', '/roles', { name: 'ok', resourceIds: [] }, ['resourceIds']],
      ['PATCH', `/roles/${role.id}`, {}, ['body']],
      ['PATCH', `/roles/${role.id}`, { name: null }, ['name']],
      ['PATCH', `/roles/${role.id}`, { name: '' }, ['name']],
      ['PATCH', `/roles/${role.id}`, { maxSessionDurationHours: 200 }, ['maxSessionDurationHours']],
      ['PATCH', `/roles/${role.id}`, { id: randomUUID() }, ['id']],
      ['PATCH', `/roles/${role.id}`, { createdAt: '2001-01-01T00:00:00Z' }, ['createdAt']],
    ];
    const problems: string[] = [];
    for (const [method, path, body, expected] of cases) {
      const response = await org.admin.request(method, path, body);
      if (
        response.status !== 400 ||
        response.body.error !== 'VALIDATION_ERROR' ||
        [...new Set(fields(response))].join() !== expected.join()
      ) {
        problems.push(`${method} ${JSON.stringify(body)}: ${response.status} ${response.text}`);
      }
    }
    expect(problems).toEqual([]);
    expect(await roleTables(t, org.id)).toEqual(before);
  });

  it('a path id that is not a UUID is 400 naming the parameter', async () => {
    const response = await org.admin.get('/roles/not-a-uuid');
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(fields(response)).toEqual(['id']);
    const role = await createRole(org);
    expect(fields(await org.admin.post(`/roles/${role.id}/users/nope`))).toEqual(['userId']);
    expect(fields(await org.admin.delete(`/roles/${role.id}/resources/nope`))).toEqual(['resourceId']);
  });

  it('a missing role is 404 ROLE_NOT_FOUND on get, patch and delete', async () => {
    const id = randomUUID();
    for (const response of [
      await org.admin.get(`/roles/${id}`),
      await org.admin.patch(`/roles/${id}`, { name: 'x' }),
      await org.admin.delete(`/roles/${id}`),
    ]) {
      expectError(response, 404, 'ROLE_NOT_FOUND');
      expect(response.body.message).toBe(`Role with ID ${id} not found`);
    }
  });

  it('DELETE is 204, the role is gone, and ROLE_DELETE is recorded', async () => {
    const role = await createRole(org);
    const response = await org.admin.delete(`/roles/${role.id}`);
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expectError(await org.admin.get(`/roles/${role.id}`), 404, 'ROLE_NOT_FOUND');
    expectError(await org.admin.delete(`/roles/${role.id}`), 404, 'ROLE_NOT_FOUND');
    const rows = await roleAudit(t, org.id, role.id);
    expect(rows.map((row) => [row.event_type, row.result, row.error_code])).toEqual([
      ['ROLE_CREATE', 'SUCCESS', null],
      ['ROLE_DELETE', 'SUCCESS', null],
      ['ROLE_DELETE', 'FAILURE', 'ROLE_NOT_FOUND'],
    ]);
    expect(rows[1]).toMatchObject({ resource_name: role.name, details: { name: role.name } });
  });

  it('a member (USER role) gets 403 FORBIDDEN on every roles route, and nothing changes', async () => {
    const member = await createMember(t, org);
    const role = await createRole(org);
    const before = await roleTables(t, org.id);
    const id = role.id;
    const other = randomUUID();
    const calls = [
      member.post('/roles', { name: uniqueName('Sneaky') }),
      member.get('/roles'),
      member.get(`/roles/${id}`),
      member.patch(`/roles/${id}`, { name: 'sneaky' }),
      member.delete(`/roles/${id}`),
      member.post(`/roles/${id}/users/${other}`),
      member.delete(`/roles/${id}/users/${other}`),
      member.post(`/roles/${id}/resources/${other}`),
      member.delete(`/roles/${id}/resources/${other}`),
    ];
    for (const response of await Promise.all(calls)) expectError(response, 403, 'FORBIDDEN');
    expect(await roleTables(t, org.id)).toEqual(before);
    expectError(await org.anonymous.get('/roles'), 401, 'UNAUTHORIZED');
  });
});
