import { drain, EngineOrg, EngineTest, memberWith, securityGroup, sessionOf, engineSuite } from './engine-harness';

const ROUNDS = 5;
const LIVE = ['PENDING', 'ACTIVE', 'PARTIAL'];

/**
 * Races (issue 17, item 4): each ends in a state the contract allows, and the engine's invariant
 * holds. Each race runs several rounds; the requests of a round go out together.
 */
describe('sessions engine: races', () => {
  let e: EngineTest;
  let org: EngineOrg;
  engineSuite({ SESSION_MAX_CONCURRENT: '3' }, (ready, readyOrg) => {
    e = ready;
    org = readyOrg;
  });

  it('concurrent starts never pass SESSION_MAX_CONCURRENT', async () => {
    const sg = await securityGroup(e, org);
    for (let round = 0; round < ROUNDS; round++) {
      const member = await memberWith(e, org, [sg.id]);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => member.post('/sessions', { ipv4Address: `198.51.100.${i + 1}` })),
      );
      expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
      expect(answers.filter((a) => a.status !== 201).every((a) => a.body.error === 'SESSION_LIMIT_REACHED')).toBe(true);
      await drain(e);
      await Promise.all(answers.filter((a) => a.status === 201).map((a) => member.post(`/sessions/${a.body.id}/stop`)));
    }
  });

  it('stop, extend and expiry of one session at once: it ends once, audited once', async () => {
    const sg = await securityGroup(e, org);
    for (let round = 0; round < ROUNDS; round++) {
      const started = await org.admin.post('/sessions', { ipv4Address: `192.0.2.${10 + round}`, resourceIds: [sg.id], durationHours: 1 });
      await drain(e);
      await e.t.db.query(`UPDATE sessions SET expires_at = now() WHERE id = $1`, [started.body.id]);
      const [stop, extend, expired, adminStop] = await Promise.all([
        org.admin.post(`/sessions/${started.body.id}/stop`),
        org.admin.post(`/sessions/${started.body.id}/extend`, { additionalHours: 1 }),
        e.expiry.runOnce(),
        org.admin.post(`/sessions/admin/${started.body.id}/stop`),
      ]);
      const endings = [stop.status === 200, adminStop.status === 200, expired === 1].filter(Boolean);
      expect(endings).toHaveLength(1);
      for (const refused of [stop, adminStop].filter((r) => r.status !== 200)) expect(refused.body.error).toBe('SESSION_NOT_ACTIVE');
      // An extension either came first (then the expiry did not end it) or was refused.
      expect([200, 400]).toContain(extend.status);
      await drain(e);
      const ended = await sessionOf(org.admin, started.body.id);
      expect(['EXPIRED', 'CANCELLED']).toContain(ended.status);
      const { rows } = await e.t.db.query(
        `SELECT count(*)::int AS n FROM audit_logs WHERE resource_id = $1 AND result = 'SUCCESS'
           AND event_type IN ('SESSION_STOP', 'SESSION_ADMIN_STOP', 'SESSION_EXPIRE')`,
        [started.body.id],
      );
      expect(rows[0].n).toBe(1);
    }
  });

  it('a role unassigned while its member starts a session: either no session, or a session that runs to its end', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const sg = await securityGroup(e, org);
      const member = await memberWith(e, org, [sg.id]);
      const roleId = (await e.t.db.query(`SELECT role_id FROM role_resources WHERE resource_id = $1`, [sg.id])).rows[0].role_id;
      const [started, unassigned] = await Promise.all([
        member.post('/sessions', { ipv4Address: `192.0.2.${40 + round}` }),
        org.admin.delete(`/roles/${roleId}/resources/${sg.id}`),
      ]);
      expect(unassigned.status).toBe(204);
      expect([201, 400]).toContain(started.status);
      if (started.status === 400) expect(started.body.error).toBe('NO_RESOURCES_ASSIGNED');
      await drain(e);
      if (started.status === 201) {
        // §12: unassigning never ends running sessions.
        expect((await sessionOf(member, started.body.id)).status).toBe('ACTIVE');
        await member.post(`/sessions/${started.body.id}/stop`);
      }
    }
  });

  it('a resource deleted while a session starts on it: one of them wins, nothing is stranded', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const sg = await securityGroup(e, org);
      const [started, deleted] = await Promise.all([
        org.admin.post('/sessions', { ipv4Address: `192.0.2.${60 + round}`, resourceIds: [sg.id] }),
        org.admin.delete(`/resources/${sg.id}`),
      ]);
      if (deleted.status === 204) {
        expect(started.status).toBe(404);
        expect(started.body.error).toBe('RESOURCE_NOT_FOUND');
      } else {
        expect(deleted.body.error).toBe('RESOURCE_IN_USE');
        expect(started.status).toBe(201);
        await drain(e);
        await org.admin.post(`/sessions/${started.body.id}/stop`);
        await drain(e);
        expect((await org.admin.delete(`/resources/${sg.id}`)).status).toBe(204);
      }
    }
  });

  it('a user deleted while their session is being applied: the session ends USER_REMOVED and its rules go', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const sg = await securityGroup(e, org);
      const member = await memberWith(e, org, [sg.id]);
      const me = (await member.get('/auth/me')).body;
      const started = await member.post('/sessions', { ipv4Address: `192.0.2.${80 + round}` });
      expect(started.status).toBe(201);
      e.aws.state.delayMs = 150;
      const [worked, deleted] = await Promise.all([e.worker.runOnce(), org.admin.delete(`/users/${me.id}`)]);
      e.aws.state.delayMs = 0;
      expect(worked).toBeGreaterThanOrEqual(0);
      expect(deleted.status).toBe(204);
      await drain(e);
      const ended = await sessionOf(org.admin, started.body.id);
      expect(ended).toMatchObject({ status: 'CANCELLED', endedReason: 'USER_REMOVED' });
      const { rows } = await e.t.db.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND status = ANY($2)`, [me.id, LIVE]);
      expect(rows[0].n).toBe(0);
    }
  });
});
