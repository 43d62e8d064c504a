import { expectError } from '../harness/api-client';
import { registerOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { FakeSmtpServer } from '../fakes/smtp-server';
import { invite, joinedMember, startUsersApp, UsersTestApp } from './users-harness';

jest.setTimeout(180_000);

/** §9: the organization never loses its last active admin, also when admins race each other. */
describe('last-admin protection', () => {
  let app: UsersTestApp;
  let t: TestApp;
  let smtp: FakeSmtpServer;

  beforeAll(async () => {
    app = await startUsersApp({ DB_POOL_SIZE: '20' });
    ({ t, smtp } = app);
  });
  afterAll(async () => app?.close());

  async function activeAdmins(organizationId: string): Promise<string[]> {
    const { rows } = await t.db.query(
      `SELECT id FROM users WHERE organization_id = $1 AND role = 'ORG_ADMIN' AND is_active AND NOT invitation_pending ORDER BY id`,
      [organizationId],
    );
    return rows.map((row) => row.id);
  }

  it('refuses to demote, deactivate or delete the last admin, with the three sentences of §9', async () => {
    const org = await registerOrganization(t, 'Solo');
    const self = `/users/${org.auth.user.id}`;
    const demote = await org.admin.patch(self, { isOrgAdmin: false });
    expectError(demote, 400, 'LAST_ADMIN');
    expect(demote.body.message).toBe('Cannot demote the last organization admin');
    const deactivate = await org.admin.patch(self, { isActive: false });
    expectError(deactivate, 400, 'LAST_ADMIN');
    expect(deactivate.body.message).toBe('Cannot deactivate the last organization admin');
    const remove = await org.admin.delete(self);
    expectError(remove, 400, 'LAST_ADMIN');
    expect(remove.body.message).toBe('Cannot delete the last organization admin');
    // Renaming oneself is no removal.
    expect((await org.admin.patch(self, { name: 'Still Admin', isOrgAdmin: true, isActive: true })).status).toBe(200);
    expect(await activeAdmins(org.id)).toEqual([org.auth.user.id]);

    // An invited admin who has not accepted yet cannot sign in, so does not count.
    await invite(smtp, org, { isOrgAdmin: true });
    expectError(await org.admin.delete(self), 400, 'LAST_ADMIN');
    const rows = await t.db.query(
      `SELECT event_type, error_code, error_message FROM audit_logs WHERE organization_id = $1 AND result = 'FAILURE' ORDER BY created_at, id`,
      [org.id],
    );
    expect(rows.rows).toEqual([
      { event_type: 'USER_UPDATE', error_code: 'LAST_ADMIN', error_message: 'Cannot demote the last organization admin' },
      { event_type: 'USER_UPDATE', error_code: 'LAST_ADMIN', error_message: 'Cannot deactivate the last organization admin' },
      { event_type: 'USER_DELETE', error_code: 'LAST_ADMIN', error_message: 'Cannot delete the last organization admin' },
      { event_type: 'USER_DELETE', error_code: 'LAST_ADMIN', error_message: 'Cannot delete the last organization admin' },
    ]);
  });

  it('lets an admin step down while another admin remains, and the demoted token is 403 on admin routes at once', async () => {
    const org = await registerOrganization(t, 'Pair');
    const second = await joinedMember(smtp, org, { isOrgAdmin: true });
    expect((await second.client.get('/users')).status).toBe(200);
    const demoted = await second.client.patch(`/users/${second.id}`, { isOrgAdmin: false });
    expect(demoted.status).toBe(200);
    expect(demoted.body.isOrgAdmin).toBe(false);
    expectError(await second.client.get('/users'), 403, 'FORBIDDEN');
    expect((await second.client.get('/auth/me')).body.isOrgAdmin).toBe(false);
    // Now the first admin is the last one again.
    expectError(await org.admin.patch(`/users/${org.auth.user.id}`, { isOrgAdmin: false }), 400, 'LAST_ADMIN');
  });

  it('leaves exactly one admin when two admins demote each other at once, round after round', async () => {
    const rounds = 20;
    const outcomes = new Map<string, number>();
    await Promise.all(
      Array.from({ length: rounds }, async () => {
        const org = await registerOrganization(t, 'Duel');
        const b = await joinedMember(smtp, org, { isOrgAdmin: true });
        const aId = org.auth.user.id;
        const [aDemotesB, bDemotesA] = await Promise.all([
          org.admin.patch(`/users/${b.id}`, { isOrgAdmin: false }),
          b.client.patch(`/users/${aId}`, { isOrgAdmin: false }),
        ]);
        const results = [aDemotesB, bDemotesA].map((r) => `${r.status} ${r.body?.error ?? ''}`.trim()).sort();
        outcomes.set(results.join(' | '), (outcomes.get(results.join(' | ')) ?? 0) + 1);
        expect(await activeAdmins(org.id)).toHaveLength(1);
        const winner = [aDemotesB, bDemotesA].filter((r) => r.status === 200);
        expect(winner).toHaveLength(1);
        const loser = [aDemotesB, bDemotesA].find((r) => r.status !== 200)!;
        // The loser either found no other admin left, or had been demoted itself before it acted.
        expect(['LAST_ADMIN', 'FORBIDDEN']).toContain(loser.body.error);
      }),
    );
    expect([...outcomes.keys()].every((key) => /^200 \| 40[03] (LAST_ADMIN|FORBIDDEN)$/.test(key))).toBe(true);
  });

  it('leaves exactly one admin when two admins step down at once (the loser gets LAST_ADMIN), round after round', async () => {
    const rounds = 20;
    await Promise.all(
      Array.from({ length: rounds }, async (_, round) => {
        const org = await registerOrganization(t, 'Exit');
        const b = await joinedMember(smtp, org, { isOrgAdmin: true });
        const aId = org.auth.user.id;
        const change = round % 2 === 0 ? { isOrgAdmin: false } : { isActive: false };
        const results = await Promise.all([org.admin.patch(`/users/${aId}`, change), b.client.patch(`/users/${b.id}`, change)]);
        expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
        const loser = results.find((r) => r.status === 400)!;
        expectError(loser, 400, 'LAST_ADMIN');
        expect(loser.body.message).toBe(`Cannot ${'isOrgAdmin' in change ? 'demote' : 'deactivate'} the last organization admin`);
        expect(await activeAdmins(org.id)).toHaveLength(1);
      }),
    );
  });

  it('keeps one admin through racing deletions and deactivations of every admin', async () => {
    for (let round = 0; round < 8; round++) {
      const org = await registerOrganization(t, 'Crowd');
      const others = await Promise.all([1, 2].map(() => joinedMember(smtp, org, { isOrgAdmin: true })));
      const ids = [org.auth.user.id, ...others.map((o) => o.id)];
      const clients = [org.admin, ...others.map((o) => o.client)];
      // Each admin removes the next one, half of them by deleting, half by deactivating; and itself.
      const requests = ids.flatMap((id, i) => [
        round % 2 === 0 ? clients[(i + 1) % 3].delete(`/users/${id}`) : clients[(i + 1) % 3].patch(`/users/${id}`, { isActive: false }),
        clients[i].patch(`/users/${id}`, { isOrgAdmin: false }),
      ]);
      const results = await Promise.all(requests);
      for (const response of results) {
        expect([200, 204, 400, 401, 403, 404]).toContain(response.status);
      }
      expect(await activeAdmins(org.id)).toHaveLength(1);
    }
  });
});
