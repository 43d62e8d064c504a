import { randomUUID } from 'node:crypto';
import { ClsService } from 'nestjs-cls';
import { TxHost } from '@app/database';
import { inBackgroundLane } from '@app/common';
import { FirewallOutcomeRecorder } from '../../libs/access/src/engine/firewall-outcome.recorder';
import { nextSessionStatus, SessionState } from '../../libs/access/src/engine/session-state';
import { SessionSettler } from '../../libs/access/src/engine/session-settler';
import { SessionSettleSweep } from '../../libs/access/src/engine/session-settle.sweep';
import type { SessionStatus } from '../../libs/access/src/entities/session.entity';
import { EngineOrg, EngineTest, engineSuite, securityGroup, seenWaitingForLock, sessionOf } from './engine-harness';

const RULE_STATUSES = ['PENDING', 'APPLIED', 'FAILED', 'REMOVING', 'REMOVED'] as const;
type Counts = Partial<Record<(typeof RULE_STATUSES)[number], number>>;

/** Every mix of rules: 0-2 of each status but REMOVED (0-1). */
function everyMix(): Counts[] {
  const mixes: Counts[] = [{}];
  for (const status of RULE_STATUSES) {
    const most = status === 'REMOVED' ? 1 : 2;
    const next: Counts[] = [];
    for (const mix of mixes) for (let n = 0; n <= most; n++) next.push(n === 0 ? mix : { ...mix, [status]: n });
    mixes.splice(0, mixes.length, ...next);
  }
  return mixes;
}

describe('sessions engine: settling a session from its rules', () => {
  let e: EngineTest;
  let org: EngineOrg;
  engineSuite({}, (ready, readyOrg) => {
    e = ready;
    org = readyOrg;
  });

  it('settle (SQL: the sessions locked, then counted and updated) gives what nextSessionStatus gives, for every status and every mix of rules', async () => {
    const starts: Array<{ status: SessionStatus; reason: string | null }> = [
      { status: 'PENDING', reason: null },
      { status: 'ACTIVE', reason: null },
      { status: 'PARTIAL', reason: null },
      { status: 'FAILED', reason: null },
      { status: 'EXPIRING', reason: 'EXPIRED' },
      { status: 'EXPIRING', reason: 'MANUAL' },
      { status: 'EXPIRED', reason: 'EXPIRED' },
      { status: 'CANCELLED', reason: 'ADMIN' },
    ];
    const cases = starts.flatMap((start) => everyMix().map((counts) => ({ id: randomUUID(), ...start, counts })));
    const rules = cases.flatMap((c) =>
      Object.entries(c.counts).flatMap(([status, n]) => Array.from({ length: n }, () => ({ session: c.id, status }))),
    );
    await e.t.db.query(
      `INSERT INTO sessions (id, organization_id, user_id, user_email, ipv4_address, status, started_at, expires_at, ended_reason)
       SELECT id, $2, $3, 'settle@example.test', '192.0.2.1', status, now(), now() + interval '1 hour', reason
       FROM unnest($1::uuid[], $4::varchar[], $5::varchar[]) AS t(id, status, reason)`,
      [cases.map((c) => c.id), org.id, randomUUID(), cases.map((c) => c.status), cases.map((c) => c.reason)],
    );
    await e.t.db.query(
      `INSERT INTO session_rules (organization_id, session_id, resource_id, resource_name, ip_version, ip_address, status)
       SELECT $1, session, gen_random_uuid(), 'r', 4, '192.0.2.1', status FROM unnest($2::uuid[], $3::varchar[]) AS t(session, status)`,
      [org.id, rules.map((r) => r.session), rules.map((r) => r.status)],
    );

    const state = e.t.app.get(SessionState);
    const txHost = e.t.app.get(TxHost);
    const changed = await e.t.app.get(ClsService).run(() => txHost.withTransaction(() => state.settle(cases.map((c) => c.id))));

    const { rows } = await e.t.db.query(`SELECT id, status, ended_at FROM sessions WHERE id = ANY($1)`, [cases.map((c) => c.id)]);
    const found = new Map(rows.map((row) => [row.id as string, row]));
    const wrong = cases
      .map((c) => ({ ...c, expected: nextSessionStatus(c.status, c.reason, c.counts), got: found.get(c.id)!.status }))
      .filter((c) => c.expected !== c.got);
    expect(wrong).toEqual([]);
    // It answers exactly the sessions it changed, and a session it failed ends then.
    const expectedChanges = cases.filter((c) => nextSessionStatus(c.status, c.reason, c.counts) !== c.status);
    expect(changed.map((c) => c.id).sort()).toEqual(expectedChanges.map((c) => c.id).sort());
    expect(expectedChanges.length).toBeGreaterThan(100);
    for (const c of expectedChanges.filter((x) => found.get(x.id)!.status === 'FAILED')) expect(found.get(c.id)!.ended_at).not.toBeNull();
  });

  it("the settler settles what it is handed, in batches, after the outcome's commit; idle() waits for it", async () => {
    const ids = [randomUUID(), randomUUID()];
    await e.t.db.query(
      `INSERT INTO sessions (id, organization_id, user_id, user_email, ipv4_address, status, started_at, expires_at)
       SELECT id, $2, $3, 'settler@example.test', '192.0.2.2', 'PENDING', now(), now() + interval '1 hour' FROM unnest($1::uuid[]) AS t(id)`,
      [ids, org.id, randomUUID()],
    );
    await e.t.db.query(
      `INSERT INTO session_rules (organization_id, session_id, resource_id, resource_name, ip_version, ip_address, status)
       VALUES ($1, $2, gen_random_uuid(), 'r', 4, '192.0.2.2', 'APPLIED'), ($1, $3, gen_random_uuid(), 'r', 4, '192.0.2.2', 'FAILED')`,
      [org.id, ids[0], ids[1]],
    );
    const settler = e.t.app.get(SessionSettler);
    settler.settleSoon([ids[0]]);
    settler.settleSoon([ids[1], ids[0]]);
    await settler.idle();
    const { rows } = await e.t.db.query(`SELECT id, status FROM sessions WHERE id = ANY($1)`, [ids]);
    expect(Object.fromEntries(rows.map((row) => [row.id, row.status]))).toEqual({ [ids[0]]: 'ACTIVE', [ids[1]]: 'FAILED' });
  });

  it('an outcome settles the sessions it decides in its own transaction, but never waits for one another transaction holds: that one is settled after', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '198.51.100.71', resourceIds: [sg.id] });
    expect(started.status).toBe(201);
    const holder = await e.t.db.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM sessions WHERE id = $1 FOR UPDATE', [started.body.id]);
      const running = e.worker.runOnce();
      // The rule is applied and recorded although the session's row is held.
      const deadline = Date.now() + 5_000;
      let rule: { status: string } | undefined;
      while (Date.now() < deadline && rule?.status !== 'APPLIED') {
        rule = (await e.t.db.query(`SELECT status FROM session_rules WHERE session_id = $1`, [started.body.id])).rows[0];
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(rule?.status).toBe('APPLIED');
      expect((await e.t.db.query(`SELECT status FROM sessions WHERE id = $1`, [started.body.id])).rows[0].status).toBe('PENDING');
      await holder.query('COMMIT');
      await running;
    } finally {
      holder.release();
    }
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('ACTIVE');
    await org.admin.post(`/sessions/${started.body.id}/stop`);
  });

  it('an outcome that decides a free session settles it in its own transaction: ACTIVE when the outcome commits', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '198.51.100.72', resourceIds: [sg.id] });
    await e.t.app.get(SessionSettler).idle();
    const settleSoon = jest.spyOn(e.t.app.get(SessionSettler), 'settleSoon');
    try {
      await e.worker.runOnce();
      expect(settleSoon.mock.calls.flatMap(([ids]) => [...ids])).not.toContain(started.body.id);
    } finally {
      settleSoon.mockRestore();
    }
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('ACTIVE');
    await org.admin.post(`/sessions/${started.body.id}/stop`);
  });

  it("an outcome that waits for its grant's lock sees the holder the lock's transaction added: that holder is APPLIED too", async () => {
    const sg = await securityGroup(e, org);
    const first = await org.admin.post('/sessions', { ipv4Address: '198.51.100.73', resourceIds: [sg.id] });
    expect(first.status).toBe(201);
    const [{ grant_id: grantId }] = (await e.t.db.query(`SELECT grant_id FROM session_rules WHERE session_id = $1`, [first.body.id])).rows;
    const second = randomUUID();
    const recorder = e.t.app.get(FirewallOutcomeRecorder);
    const holder = await e.t.db.connect();
    let recording: Promise<void> | undefined;
    try {
      // A second holder joins the grant while the call's outcome is on its way (what a start sharing the rule does).
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM access_grants WHERE id = $1 FOR UPDATE', [grantId]);
      await holder.query(
        `INSERT INTO sessions (id, organization_id, user_id, user_email, ipv4_address, status, started_at, expires_at)
         VALUES ($1, $2, $3, 'joined@example.test', '198.51.100.73', 'PENDING', now(), now() + interval '1 hour')`,
        [second, org.id, randomUUID()],
      );
      await holder.query(
        `INSERT INTO session_rules (organization_id, session_id, resource_id, resource_name, ip_version, ip_address, status, grant_id, holds)
         VALUES ($1, $2, $3, 'sg', 4, '198.51.100.73', 'PENDING', $4, true)`,
        [org.id, second, sg.id, grantId],
      );
      // The call's success, as a sync writes it (no lease of this test's to let go: the release part finds none).
      const claim = { resourceId: sg.id, generation: 0, leasedUntil: new Date(0) };
      recording = e.t.app
        .get(ClsService)
        .run(() => inBackgroundLane(() => recorder.appliedAndReleased([grantId], claim, null)))
        .then(({ released }) => expect(released).toBe(false));
      // The outcome is waiting for the grant's lock.
      expect(await seenWaitingForLock(e, 'engine_grants_applied', 5_000)).toBe(true);
      await holder.query('COMMIT');
      await recording;
    } finally {
      if (recording === undefined) await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
    await e.t.app.get(SessionSettler).idle();
    const { rows } = await e.t.db.query(
      `SELECT s.id, s.status, r.status AS rule FROM sessions s JOIN session_rules r ON r.session_id = s.id WHERE s.id = ANY($1)`,
      [[first.body.id, second]],
    );
    expect(Object.fromEntries(rows.map((row) => [row.id, [row.status, row.rule]]))).toEqual({
      [first.body.id]: ['ACTIVE', 'APPLIED'],
      [second]: ['ACTIVE', 'APPLIED'],
    });
    await e.t.db.query(`UPDATE session_rules SET holds = false WHERE session_id = $1`, [second]);
    await org.admin.post(`/sessions/${first.body.id}/stop`);
  });

  it('a batch the settler cannot settle (twice) is left, logged, to SessionSettleSweep, which settles it', async () => {
    const id = randomUUID();
    await e.t.db.query(
      `INSERT INTO sessions (id, organization_id, user_id, user_email, ipv4_address, status, started_at, expires_at, created_at)
       VALUES ($1, $2, $3, 'lost@example.test', '192.0.2.3', 'PENDING', now(), now() + interval '1 hour', now() - interval '1 minute')`,
      [id, org.id, randomUUID()],
    );
    await e.t.db.query(
      `INSERT INTO session_rules (organization_id, session_id, resource_id, resource_name, ip_version, ip_address, status)
       VALUES ($1, $2, gen_random_uuid(), 'r', 4, '192.0.2.3', 'APPLIED')`,
      [org.id, id],
    );
    const state = e.t.app.get(SessionState);
    const failing = jest.spyOn(state, 'settle').mockRejectedValue(new Error('deadlock detected'));
    try {
      const settler = e.t.app.get(SessionSettler);
      settler.settleSoon([id]);
      await settler.idle();
      expect(failing).toHaveBeenCalledTimes(2);
    } finally {
      failing.mockRestore();
    }
    expect(e.t.logs.some((line) => line.includes('left to the settle sweep'))).toBe(true);
    expect((await e.t.db.query(`SELECT status FROM sessions WHERE id = $1`, [id])).rows[0].status).toBe('PENDING');
    expect(await e.t.app.get(SessionSettleSweep).runOnce()).toBeGreaterThanOrEqual(1);
    expect((await e.t.db.query(`SELECT status FROM sessions WHERE id = $1`, [id])).rows[0].status).toBe('ACTIVE');
  });
});
