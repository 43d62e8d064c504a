import { ClsService } from 'nestjs-cls';
import { TxHost } from '@app/database';
import { RolesRepository } from '@app/users';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';
import { createResource, createRole, insertUser } from './roles-fixtures';

jest.setTimeout(60_000);

/** What the sessions engine will ask (§13): which resources a user may reach, and for how long at most. */
describe('roles: what a user may reach', () => {
  let t: TestApp;
  let org: TestOrganization;
  let other: TestOrganization;
  let roles: RolesRepository;

  beforeAll(async () => {
    t = await startTestApp();
    org = await registerOrganization(t, 'Reach');
    other = await registerOrganization(t, 'Reach other');
    roles = t.app.get(RolesRepository, { strict: false });
  });
  afterAll(async () => t?.close());

  const assign = async (owner: TestOrganization, roleId: string, kind: 'users' | 'resources', id: string) => {
    const response = await owner.admin.post(`/roles/${roleId}/${kind}/${id}`);
    expect(response.status).toBe(200);
  };

  const resourceIdsForUser = async (organizationId: string, userId: string) =>
    (await roles.lockUserForStart(organizationId, userId))?.resourceIds;

  it("lockUserForStart: the union over the user's roles, each resource once, sorted; nothing for others", async () => {
    const [r1, r2, r3, r4] = [await createResource(org), await createResource(org), await createResource(org), await createResource(org)];
    const dev = await createRole(org);
    const ops = await createRole(org);
    const unrelated = await createRole(org);
    const user = await insertUser(t, org.id);
    const bystander = await insertUser(t, org.id);
    await assign(org, dev.id, 'users', user.id);
    await assign(org, ops.id, 'users', user.id);
    await assign(org, unrelated.id, 'users', bystander.id);
    await assign(org, dev.id, 'resources', r1.id);
    await assign(org, dev.id, 'resources', r2.id);
    await assign(org, ops.id, 'resources', r2.id);
    await assign(org, ops.id, 'resources', r3.id);
    await assign(org, unrelated.id, 'resources', r4.id);

    expect(await resourceIdsForUser(org.id, user.id)).toEqual([r1.id, r2.id, r3.id].sort());
    expect(await resourceIdsForUser(org.id, bystander.id)).toEqual([r4.id]);
    // Scoped by organization: the right user under another organization's id is not found.
    expect(await roles.lockUserForStart(other.id, user.id)).toBeUndefined();

    // Unassigning, deleting a resource and deleting a role all narrow it at once.
    expect((await org.admin.delete(`/roles/${dev.id}/resources/${r1.id}`)).status).toBe(204);
    expect((await org.admin.delete(`/resources/${r3.id}`)).status).toBe(204);
    expect(await resourceIdsForUser(org.id, user.id)).toEqual([r2.id]);
    expect((await org.admin.delete(`/roles/${ops.id}`)).status).toBe(204);
    expect(await resourceIdsForUser(org.id, user.id)).toEqual([r2.id]);
    expect((await org.admin.delete(`/roles/${dev.id}/users/${user.id}`)).status).toBe(204);
    expect(await resourceIdsForUser(org.id, user.id)).toEqual([]);
  });

  it('lockUserForStart: a deactivated user is not found, whatever their roles give', async () => {
    const resource = await createResource(org);
    const role = await createRole(org);
    const user = await insertUser(t, org.id);
    await assign(org, role.id, 'users', user.id);
    await assign(org, role.id, 'resources', resource.id);
    expect(await roles.lockUserForStart(org.id, user.id)).toMatchObject({ email: user.email, resourceIds: [resource.id] });
    await t.db.query(`UPDATE users SET is_active = false WHERE id = $1`, [user.id]);
    expect(await roles.lockUserForStart(org.id, user.id)).toBeUndefined();
  });

  it("lockUserForStart holds the user's row against a deactivation or another start until its transaction ends, not against a role assignment", async () => {
    const user = await insertUser(t, org.id);
    const role = await createRole(org);
    const other = await t.db.connect();
    const outcome = (sql: string, parameters: unknown[]) =>
      other.query(sql, parameters).then(
        () => 'done',
        (error: { code?: string }) => (error.code === '55P03' ? 'waited' : `failed ${error.code}`),
      );
    try {
      await other.query(`SET lock_timeout = '300ms'`);
      await t.app.get(ClsService).run(() =>
        t.app.get(TxHost).withTransaction(async () => {
          expect(await roles.lockUserForStart(org.id, user.id)).toMatchObject({ email: user.email });
          // A row that merely references the user goes in at once.
          expect(
            await outcome(`INSERT INTO role_users (organization_id, role_id, user_id) VALUES ($1, $2, $3)`, [org.id, role.id, user.id]),
          ).toBe('done');
          // A deactivation and another start wait for this one (here: until the lock timeout).
          expect(await outcome(`UPDATE users SET is_active = false WHERE id = $1`, [user.id])).toBe('waited');
          expect(await outcome(`SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, [user.id])).toBe('waited');
        }),
      );
      expect(await outcome(`UPDATE users SET is_active = false WHERE id = $1`, [user.id])).toBe('done');
    } finally {
      other.release();
    }
  });

  /** The cap as extend reads it (maxSessionHoursForUser), checked against what a start reads (lockUserForStart). */
  const capOf = async (organizationId: string, userId: string) => {
    const cap = await roles.maxSessionHoursForUser(organizationId, userId);
    expect((await roles.lockUserForStart(organizationId, userId))?.maxSessionHours).toBe(cap);
    return cap;
  };

  it("maxSessionHoursForUser and lockUserForStart: the smallest cap among the user's roles; roles without a cap do not count", async () => {
    const user = await insertUser(t, org.id);
    expect(await capOf(org.id, user.id)).toBeNull(); // in no role

    const uncapped = await createRole(org);
    await assign(org, uncapped.id, 'users', user.id);
    expect(await capOf(org.id, user.id)).toBeNull(); // only roles without a cap

    const twelve = await createRole(org, { maxSessionDurationHours: 12 });
    const four = await createRole(org, { maxSessionDurationHours: 4 });
    const notMine = await createRole(org, { maxSessionDurationHours: 1 });
    await assign(org, twelve.id, 'users', user.id);
    await assign(org, four.id, 'users', user.id);
    expect(notMine.maxSessionDurationHours).toBe(1);
    expect(await capOf(org.id, user.id)).toBe(4);
    // Another organization's id: no cap, and no such user to start a session.
    expect(await roles.maxSessionHoursForUser(other.id, user.id)).toBeNull();
    expect(await roles.lockUserForStart(other.id, user.id)).toBeUndefined();

    // A PATCH applies at once; clearing a cap falls back to the next smallest.
    expect((await org.admin.patch(`/roles/${four.id}`, { maxSessionDurationHours: 2 })).status).toBe(200);
    expect(await capOf(org.id, user.id)).toBe(2);
    expect((await org.admin.patch(`/roles/${four.id}`, { maxSessionDurationHours: null })).status).toBe(200);
    expect(await capOf(org.id, user.id)).toBe(12);
    expect((await org.admin.delete(`/roles/${twelve.id}`)).status).toBe(204);
    expect(await capOf(org.id, user.id)).toBeNull();
  });
});
