import { ExpiredIdempotencyKeysSweep } from '@app/access';
import { auditRows, createMember } from '../harness/factories';
import { drain, EngineOrg, EngineTest, memberWith, securityGroup, sessionOf, engineSuite } from './engine-harness';

const HOUR = 3_600_000;

/** The rules of §13's API: addresses, resources, durations, caps, idempotency, who sees what. */
describe('sessions API', () => {
  let e: EngineTest;
  let org: EngineOrg;
  engineSuite({ SESSION_MAX_CONCURRENT: '2' }, (ready, readyOrg) => {
    e = ready;
    org = readyOrg;
  });
  beforeEach(async () => {
    // Each test starts with no live session (the cap is per user, the invariant per database).
    await e.t.db.query(`UPDATE sessions SET expires_at = now() WHERE status IN ('PENDING', 'ACTIVE', 'PARTIAL')`);
    await e.expiry.runOnce();
  });

  function hours(session: { startedAt: string; expiresAt: string }): number {
    return (Date.parse(session.expiresAt) - Date.parse(session.startedAt)) / HOUR;
  }

  it('takes the default duration, capped by the smallest role cap; names the limit when asked for more', async () => {
    const sg = await securityGroup(e, org);
    const admin = await org.admin.post('/sessions', { ipv4Address: '203.0.113.30', resourceIds: [sg.id] });
    expect(hours(admin.body)).toBe(2);
    expect((await org.admin.post('/sessions', { ipv4Address: '203.0.113.30', durationHours: 25 })).body).toMatchObject({
      error: 'DURATION_EXCEEDS_LIMIT',
      message: 'Session duration exceeds the limit of 24 hours',
    });
    const member = await memberWith(e, org, [sg.id], 1);
    const capped = await member.post('/sessions', { ipv4Address: '203.0.113.31' });
    expect(capped.status).toBe(201);
    expect(hours(capped.body)).toBe(1);
    const refused = await member.post('/sessions', { ipv4Address: '203.0.113.31', durationHours: 2 });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'DURATION_EXCEEDS_LIMIT', message: 'Session duration exceeds the limit of 1 hour' });
  });

  it('reaches a member only their roles’ active resources; a subset outside them is 404; none left is NO_RESOURCES_ASSIGNED', async () => {
    const mine = await securityGroup(e, org);
    const inactive = await securityGroup(e, org);
    const other = await securityGroup(e, org);
    const member = await memberWith(e, org, [mine.id, inactive.id]);
    await e.t.db.query(`UPDATE resources SET is_active = false WHERE id = $1`, [inactive.id]);
    const started = await member.post('/sessions', { ipv4Address: '203.0.113.32' });
    expect(started.body.resourceIps.map((r: { resourceId: string }) => r.resourceId)).toEqual([mine.id]);
    const outside = await member.post('/sessions', { ipv4Address: '203.0.113.32', resourceIds: [other.id] });
    expect(outside.status).toBe(404);
    expect(outside.body).toMatchObject({ error: 'RESOURCE_NOT_FOUND', message: `Resource with ID ${other.id} not found` });
    expect((await member.post('/sessions', { ipv4Address: '203.0.113.32', resourceIds: [inactive.id] })).body.error).toBe(
      'NO_RESOURCES_ASSIGNED',
    );
    const nobody = await createMember(e.t, org);
    const none = await nobody.post('/sessions', { ipv4Address: '203.0.113.33' });
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ error: 'NO_RESOURCES_ASSIGNED', message: 'No active resources are assigned to you' });
  });

  it('caps live sessions per user (SESSION_MAX_CONCURRENT), also under concurrent starts', async () => {
    const sg = await securityGroup(e, org);
    const member = await memberWith(e, org, [sg.id]);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => member.post('/sessions', { ipv4Address: `203.0.113.${40 + i}` })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
    const refused = answers.filter((a) => a.status === 400);
    expect(refused).toHaveLength(6);
    expect(refused[0].body).toMatchObject({
      error: 'SESSION_LIMIT_REACHED',
      message: 'You already have 2 live sessions, the most allowed. Stop one first.',
    });
    const live = await e.t.db.query(
      `SELECT count(*)::int AS n FROM sessions WHERE user_email = (SELECT user_email FROM sessions WHERE id = $1) AND status IN ('PENDING','ACTIVE','PARTIAL')`,
      [answers.find((a) => a.status === 201)!.body.id],
    );
    expect(live.rows[0].n).toBe(2);
  });

  it('extends ACTIVE sessions within the cap, naming the whole hours left', async () => {
    const sg = await securityGroup(e, org);
    const member = await memberWith(e, org, [sg.id], 4);
    const started = await member.post('/sessions', { ipv4Address: '203.0.113.50', durationHours: 1 });
    expect((await member.post(`/sessions/${started.body.id}/extend`, { additionalHours: 1 })).body.error).toBe('SESSION_NOT_ACTIVE');
    await drain(e);
    const extended = await member.post(`/sessions/${started.body.id}/extend`, { additionalHours: 2 });
    expect(extended.status).toBe(200);
    expect(hours(extended.body)).toBe(3);
    const over = await member.post(`/sessions/${started.body.id}/extend`, { additionalHours: 2 });
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({
      error: 'DURATION_EXCEEDS_LIMIT',
      message: 'Extension exceeds the session limit of 4 hours from its start: at most 1 hour can be added',
    });
    expect((await member.post(`/sessions/${started.body.id}/extend`, { additionalHours: 0 })).body.error).toBe('VALIDATION_ERROR');
    expect((await member.post(`/sessions/${started.body.id}/extend`, {})).body.error).toBe('VALIDATION_ERROR');
    const rows = (await auditRows(e.t, org.id)).filter((row) => row.resource_id === started.body.id && row.event_type === 'SESSION_EXTEND');
    expect(rows.map((row) => [row.result, row.error_code])).toEqual([
      ['FAILURE', 'SESSION_NOT_ACTIVE'],
      ['SUCCESS', null],
      ['FAILURE', 'DURATION_EXCEEDS_LIMIT'],
      ['FAILURE', 'VALIDATION_ERROR'],
      ['FAILURE', 'VALIDATION_ERROR'],
    ]);
  });

  it('answers a repeated Idempotency-Key with the first answer, another body with 409', async () => {
    const sg = await securityGroup(e, org);
    const headers = { 'Idempotency-Key': `key-${Date.now()}` };
    const body = { ipv4Address: '203.0.113.60', resourceIds: [sg.id] };
    const first = await org.admin.post('/sessions', body, headers);
    const again = await org.admin.post('/sessions', { resourceIds: [sg.id], ipv4Address: '203.0.113.60' }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const conflict = await org.admin.post('/sessions', { ...body, durationHours: 1 }, headers);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toBe('IDEMPOTENCY_KEY_REUSED');
    const parallel = await Promise.all(
      Array.from({ length: 5 }, () =>
        org.admin.post('/sessions', { ipv4Address: '203.0.113.61', resourceIds: [sg.id] }, { 'Idempotency-Key': 'race-key' }),
      ),
    );
    expect(new Set(parallel.map((p) => p.body.id)).size).toBe(1);
    const { rows } = await e.t.db.query(`SELECT count(*)::int AS n FROM sessions WHERE ipv4_address IN ('203.0.113.60', '203.0.113.61')`);
    expect(rows[0].n).toBe(2);
    expect((await org.admin.post('/sessions', body, { 'Idempotency-Key': 'x'.repeat(201) })).body.error).toBe('VALIDATION_ERROR');
  });

  it('forgets an Idempotency-Key after 24 hours: the sweep deletes it, and the key starts afresh', async () => {
    const sg = await securityGroup(e, org);
    const key = `old-key-${Date.now()}`;
    const first = await org.admin.post('/sessions', { ipv4Address: '203.0.113.62', resourceIds: [sg.id] }, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    const keyRows = async (k: string) =>
      (await e.t.db.query(`SELECT key FROM idempotency_keys WHERE organization_id = $1 AND key = $2`, [org.id, k])).rows;
    // A day and an hour old; and another key of the same user, 23 hours old, which must stay.
    await e.t.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE organization_id = $1 AND key = $2`, [
      org.id,
      key,
    ]);
    const recent = `recent-key-${Date.now()}`;
    await e.t.db.query(
      `INSERT INTO idempotency_keys (organization_id, user_id, operation, key, request_hash, created_at)
       SELECT organization_id, user_id, operation, $2, request_hash, now() - interval '23 hours' FROM idempotency_keys
       WHERE organization_id = $1 AND key = $3`,
      [org.id, recent, key],
    );

    expect(await e.t.app.get(ExpiredIdempotencyKeysSweep).runOnce()).toBeGreaterThanOrEqual(1);
    expect(await keyRows(key)).toEqual([]);
    expect(await keyRows(recent)).toEqual([{ key: recent }]);
    // The key now starts a session of its own, even with another body.
    await org.admin.post(`/sessions/${first.body.id}/stop`);
    const again = await org.admin.post('/sessions', { ipv4Address: '203.0.113.63', resourceIds: [sg.id] }, { 'Idempotency-Key': key });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
  });

  it('refuses addresses that name no one, or a range', async () => {
    const sg = await securityGroup(e, org);
    for (const [field, value] of [
      ['ipv4Address', '127.0.0.1'],
      ['ipv4Address', '0.0.0.0'],
      ['ipv4Address', '224.0.0.1'],
      ['ipv4Address', '169.254.1.1'],
      ['ipv4Address', '255.255.255.255'],
      ['ipv4Address', '10.0.0.0/8'],
      ['ipv4Address', '2001:db8::1'],
      ['ipv6Address', '::1'],
      ['ipv6Address', 'fe80::1'],
      ['ipv6Address', '::ffff:192.0.2.1'],
      ['ipv6Address', '203.0.113.9'],
    ]) {
      const refused = await org.admin.post('/sessions', { [field]: value, resourceIds: [sg.id] });
      expect({ value, status: refused.status, error: refused.body.error, field: refused.body.details?.[0]?.field }).toEqual({
        value,
        status: 400,
        error: 'VALIDATION_ERROR',
        field,
      });
    }
    // No address in the body: the client's own, here loopback, which is refused too.
    const own = await org.admin.post('/sessions', { resourceIds: [sg.id] });
    expect(own.body.details[0].message).toMatch(/your address 127\.0\.0\.1 is a loopback address/);
    expect((await org.admin.post('/sessions', { ipv4Address: '203.0.113.70', surprise: true })).body.error).toBe('VALIDATION_ERROR');
    const { rows } = await e.t.db.query(`SELECT count(*)::int AS n FROM sessions WHERE ipv4_address = '127.0.0.1'`);
    expect(rows[0].n).toBe(0);
  });

  it('shows a member only their own sessions; an admin all of them, and stops them as ADMIN', async () => {
    const sg = await securityGroup(e, org);
    const alice = await memberWith(e, org, [sg.id]);
    const bob = await memberWith(e, org, [sg.id]);
    const a = await alice.post('/sessions', { ipv4Address: '203.0.113.80' });
    expect((await bob.get(`/sessions/${a.body.id}`)).body).toMatchObject({
      error: 'SESSION_NOT_FOUND',
      message: `Session with ID ${a.body.id} not found`,
    });
    expect((await bob.post(`/sessions/${a.body.id}/stop`)).status).toBe(404);
    expect((await bob.get('/sessions')).body.map((s: { id: string }) => s.id)).not.toContain(a.body.id);
    expect((await alice.get('/sessions')).body[0].id).toBe(a.body.id);
    expect((await alice.get('/sessions/admin')).status).toBe(403);
    expect((await org.admin.get(`/sessions/${a.body.id}`)).status).toBe(200);
    const listed = await org.admin.get(`/sessions/admin?status=PENDING&userId=${a.body.userId}`);
    expect(listed.body.map((s: { id: string }) => s.id)).toEqual([a.body.id]);
    expect((await org.admin.get('/sessions/admin?status=BOGUS')).body.error).toBe('VALIDATION_ERROR');
    const stopped = await org.admin.post(`/sessions/admin/${a.body.id}/stop`);
    expect(stopped.body).toMatchObject({ endedReason: 'ADMIN' });
    expect((await sessionOf(alice, a.body.id)).endedReason).toBe('ADMIN');
    const rows = (await auditRows(e.t, org.id)).filter((row) => row.resource_id === a.body.id);
    expect(rows.map((row) => [row.event_type, row.result, row.error_code])).toEqual([
      ['SESSION_START', 'SUCCESS', null],
      // Bob's attempt on Alice's session is refused, and recorded.
      ['SESSION_STOP', 'FAILURE', 'SESSION_NOT_FOUND'],
      ['SESSION_ADMIN_STOP', 'SUCCESS', null],
    ]);
  });

  it('tells a caller its address (public)', async () => {
    const detected = await org.anonymous.get('/detect-ip');
    expect(detected.status).toBe(200);
    expect(detected.body).toMatchObject({ ip: '127.0.0.1', version: 4 });
    expect(detected.body.timestamp).toMatch(/Z$/);
  });
});
