import { SessionSettleSweep } from '@app/access';
import { auditRows } from '../harness/factories';
import {
  apisixRoute,
  drain,
  EngineOrg,
  EngineTest,
  expectInvariant,
  memberWith,
  REGION,
  retriesDueNow,
  securityGroup,
  sessionOf,
  engineSuite,
} from './engine-harness';

/**
 * The engine end to end against the stateful fakes (§13): apply, share, stop, expire, fail,
 * retry, user removal. Every test ends with the invariant: the fakes hold exactly what live
 * holders need.
 */
describe('sessions engine: lifecycle', () => {
  let e: EngineTest;
  let org: EngineOrg;
  engineSuite({}, (ready, readyOrg) => {
    e = ready;
    org = readyOrg;
  });

  it('applies a session to every resource in one call per resource, then ACTIVE; a stop removes the rules, then CANCELLED', async () => {
    const sg = await securityGroup(e, org);
    const route = await apisixRoute(e, org);
    const started = await org.admin.post('/sessions', {
      ipv4Address: '203.0.113.10',
      ipv6Address: '2001:db8::10',
      resourceIds: [sg.id, route.id],
    });
    expect(started.status).toBe(201);
    expect(started.headers.get('location')).toBe(`/api/v1/sessions/${started.body.id}`);
    expect(started.body).toMatchObject({ status: 'PENDING', ipv4Address: '203.0.113.10', ipv6Address: '2001:db8::10', endedAt: null });
    expect(started.body.resourceIps).toHaveLength(4);
    expect(started.body.resourceIps.every((r: { status: string }) => r.status === 'PENDING')).toBe(true);

    const authorizeBefore = e.aws.state.requests.filter((r) => r.action === 'AuthorizeSecurityGroupIngress').length;
    await drain(e);
    const active = await sessionOf(org.admin, started.body.id);
    expect(active.status).toBe('ACTIVE');
    expect(active.resourceIps.map((r: { status: string }) => r.status)).toEqual(['APPLIED', 'APPLIED', 'APPLIED', 'APPLIED']);
    // Both addresses of the security group went in one AuthorizeSecurityGroupIngress.
    expect(e.aws.state.requests.filter((r) => r.action === 'AuthorizeSecurityGroupIngress').length - authorizeBefore).toBe(1);
    const ingress = e.aws.state.group(REGION, sg.groupId)!.ingress;
    expect(ingress.map((r) => r.cidr).sort()).toEqual(['2001:db8::10/128', '203.0.113.10/32']);
    expect(ingress[0].description).toBe(`EntryGuard session ${started.body.id}`);
    expect(e.apisix.state.whitelist(route.routeId)).toEqual(expect.arrayContaining(['203.0.113.10/32', '2001:db8::10/128']));
    await expectInvariant(e);

    const stopped = await org.admin.post(`/sessions/${started.body.id}/stop`);
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ status: 'EXPIRING', endedReason: 'MANUAL' });
    expect(stopped.body.endedAt).toMatch(/Z$/);
    await drain(e);
    const ended = await sessionOf(org.admin, started.body.id);
    expect(ended.status).toBe('CANCELLED');
    expect(ended.resourceIps.every((r: { status: string; removedAt: string }) => r.status === 'REMOVED' && r.removedAt)).toBe(true);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toEqual([]);
    expect((await org.admin.post(`/sessions/${started.body.id}/stop`)).body.error).toBe('SESSION_NOT_ACTIVE');
    const audit = (await auditRows(e.t, org.id)).filter((row) => row.resource_id === started.body.id);
    expect(audit.map((row) => [row.event_type, row.result, row.error_code])).toEqual([
      ['SESSION_START', 'SUCCESS', null],
      ['SESSION_STOP', 'SUCCESS', null],
      // The refused second stop is on the trail too.
      ['SESSION_STOP', 'FAILURE', 'SESSION_NOT_ACTIVE'],
    ]);
    expect(audit[0].details).toMatchObject({ ipv4Address: '203.0.113.10', ipv6Address: '2001:db8::10', resourceCount: 2 });
  });

  it('shares one rule between two members behind one address: one stopping never shuts the other out', async () => {
    const sg = await securityGroup(e, org);
    const alice = await memberWith(e, org, [sg.id]);
    const bob = await memberWith(e, org, [sg.id]);
    const a = await alice.post('/sessions', { ipv4Address: '198.51.100.7' });
    const b = await bob.post('/sessions', { ipv4Address: '198.51.100.7' });
    expect([a.status, b.status]).toEqual([201, 201]);
    await drain(e);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress.map((r) => r.cidr)).toEqual(['198.51.100.7/32']);
    expect((await sessionOf(alice, a.body.id)).status).toBe('ACTIVE');
    expect((await sessionOf(bob, b.body.id)).status).toBe('ACTIVE');

    expect((await alice.post(`/sessions/${a.body.id}/stop`)).status).toBe(200);
    await drain(e);
    // Alice's side let go at once (REMOVED), the rule stays for Bob.
    const aliceEnded = await sessionOf(alice, a.body.id);
    expect(aliceEnded.status).toBe('CANCELLED');
    expect(aliceEnded.resourceIps[0].status).toBe('REMOVED');
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress.map((r) => r.cidr)).toEqual(['198.51.100.7/32']);
    await expectInvariant(e);

    expect((await bob.post(`/sessions/${b.body.id}/stop`)).status).toBe(200);
    await drain(e);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toEqual([]);
  });

  it('never applies a rule after a stop during PENDING', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '192.0.2.44', resourceIds: [sg.id] });
    const stopped = await org.admin.post(`/sessions/${started.body.id}/stop`);
    expect(stopped.status).toBe(200);
    // Nothing was ever sent: the session is over at once.
    expect(stopped.body.status).toBe('CANCELLED');
    const before = e.aws.state.requests.filter((r) => r.action.endsWith('SecurityGroupIngress')).length;
    await drain(e);
    // No call at all: neither an authorize nor a needless revoke.
    expect(e.aws.state.requests.filter((r) => r.action.endsWith('SecurityGroupIngress')).length).toBe(before);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toEqual([]);
  });

  it('expires a session with nobody calling, as SYSTEM', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '192.0.2.55', resourceIds: [sg.id], durationHours: 1 });
    await drain(e);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toHaveLength(1);
    await e.t.db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [started.body.id]);
    expect(await e.expiry.runOnce()).toBe(1);
    expect(await e.expiry.runOnce()).toBe(0);
    await drain(e);
    const ended = await sessionOf(org.admin, started.body.id);
    expect(ended).toMatchObject({ status: 'EXPIRED', endedReason: 'EXPIRED' });
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toEqual([]);
    const rows = (await auditRows(e.t, org.id)).filter((row) => row.resource_id === started.body.id && row.event_type === 'SESSION_EXPIRE');
    expect(rows).toHaveLength(1);
    expect(rows[0].actor_type).toBe('SYSTEM');
  });

  it('expiry is claimed: a session another instance has claimed is left to it until its lease ends', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '192.0.2.56', resourceIds: [sg.id], durationHours: 1 });
    await drain(e);
    // As another instance's claim would leave it: past its end, leased for a minute.
    await e.t.db.query(
      `UPDATE sessions SET expires_at = now() - interval '1 second', expiry_claimed_until = now() + interval '1 minute' WHERE id = $1`,
      [started.body.id],
    );
    expect(await e.expiry.runOnce()).toBe(0);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('ACTIVE');
    // That instance died: once the lease has run out, any instance ends it.
    await e.t.db.query(`UPDATE sessions SET expiry_claimed_until = now() - interval '1 second' WHERE id = $1`, [started.body.id]);
    expect(await e.expiry.runOnce()).toBe(1);
    await drain(e);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('EXPIRED');
    await expectInvariant(e);
  });

  it('expiry ends many sessions together; one that cannot be ended holds back none of the others and is tried again', async () => {
    const sg = await securityGroup(e, org);
    const ids: string[] = [];
    for (const address of ['192.0.2.61', '192.0.2.62', '192.0.2.63']) {
      ids.push((await org.admin.post('/sessions', { ipv4Address: address, resourceIds: [sg.id], durationHours: 1 })).body.id);
    }
    await drain(e);
    await e.t.db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = ANY($1)`, [ids]);
    // The second one cannot be ended for now (as a constraint or a bad row would refuse it).
    await e.t.db.query(`
      CREATE FUNCTION refuse_session_end() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused for the test'; END $$`);
    await e.t.db.query(
      `CREATE TRIGGER refuse_session_end BEFORE UPDATE OF status ON sessions FOR EACH ROW WHEN (OLD.id = '${ids[1]}') EXECUTE FUNCTION refuse_session_end()`,
    );
    try {
      expect(await e.expiry.runOnce()).toBe(2);
      const states = await Promise.all(ids.map((id) => sessionOf(org.admin, id)));
      expect(states.map((session) => session.status)).toEqual(['EXPIRING', 'ACTIVE', 'EXPIRING']);
    } finally {
      await e.t.db.query(`DROP TRIGGER refuse_session_end ON sessions`);
      await e.t.db.query(`DROP FUNCTION refuse_session_end()`);
    }
    // Its claim was given back: the next round ends it, without waiting for a lease to run out.
    expect(await e.expiry.runOnce()).toBe(1);
    await drain(e);
    expect((await Promise.all(ids.map((id) => sessionOf(org.admin, id)))).map((session) => session.status)).toEqual([
      'EXPIRED',
      'EXPIRED',
      'EXPIRED',
    ]);
    await expectInvariant(e);
  });

  it('a session left PENDING with every rule decided (its instance died before settling) is settled by the sweep', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '192.0.2.64', resourceIds: [sg.id] });
    await drain(e);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('ACTIVE');
    // As an instance that wrote the outcome and died before its settle leaves it.
    await e.t.db.query(`UPDATE sessions SET status = 'PENDING' WHERE id = $1`, [started.body.id]);
    const sweep = e.t.app.get(SessionSettleSweep);
    // Not before its grace: an outcome being settled right now is left to its writer.
    expect(await sweep.runOnce()).toBe(0);
    expect(await sweep.runOnce(0)).toBe(1);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('ACTIVE');
    expect(await sweep.runOnce(0)).toBe(0);
    expect((await org.admin.post(`/sessions/${started.body.id}/stop`)).status).toBe(200);
    await drain(e);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('CANCELLED');
    // The same for an ending session: every rule removed, left EXPIRING.
    await e.t.db.query(`UPDATE sessions SET status = 'EXPIRING' WHERE id = $1`, [started.body.id]);
    expect(await sweep.runOnce(0)).toBe(1);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('CANCELLED');
    // A live session with a rule still PENDING is not a straggler, however old.
    const waiting = await org.admin.post('/sessions', { ipv4Address: '192.0.2.65', resourceIds: [sg.id] });
    await e.t.db.query(`UPDATE sessions SET created_at = now() - interval '1 hour' WHERE id = $1`, [waiting.body.id]);
    expect(await sweep.runOnce()).toBe(0);
    expect((await sessionOf(org.admin, waiting.body.id)).status).toBe('PENDING');
    await drain(e);
    expect((await org.admin.post(`/sessions/${waiting.body.id}/stop`)).status).toBe(200);
    await drain(e);
    await expectInvariant(e);
  });

  it("a start answers with the session exactly as a read of it returns it, rules in the reads' order", async () => {
    const [zulu, alpha] = [await securityGroup(e, org, { name: `Zulu ${Date.now()}` }), await apisixRoute(e, org)];
    const first = await org.admin.post('/sessions', {
      ipv4Address: '192.0.2.57',
      ipv6Address: '2001:db8::57',
      resourceIds: [zulu.id, alpha.id],
    });
    expect(first.status).toBe(201);
    expect(first.body).toEqual(await sessionOf(org.admin, first.body.id));
    await drain(e);
    // The same addresses again: every rule is on the provider already, so the answer is ACTIVE with applied times.
    const second = await org.admin.post('/sessions', {
      ipv4Address: '192.0.2.57',
      ipv6Address: '2001:db8::57',
      resourceIds: [alpha.id, zulu.id],
    });
    expect(second.body.status).toBe('ACTIVE');
    expect(
      second.body.resourceIps.every((rule: { status: string; appliedAt: string }) => rule.status === 'APPLIED' && rule.appliedAt),
    ).toBe(true);
    expect(second.body).toEqual(await sessionOf(org.admin, second.body.id));
    for (const id of [first.body.id, second.body.id]) expect((await org.admin.post(`/sessions/${id}/stop`)).status).toBe(200);
    await drain(e);
    await expectInvariant(e);
  });

  it('ends PARTIAL when one resource refuses (missing group), FAILED when all do, with the provider reason', async () => {
    const good = await securityGroup(e, org);
    const gone = await securityGroup(e, org, { inFake: false });
    const partial = await org.admin.post('/sessions', { ipv4Address: '192.0.2.66', resourceIds: [good.id, gone.id] });
    await drain(e);
    const p = await sessionOf(org.admin, partial.body.id);
    expect(p.status).toBe('PARTIAL');
    const failedRule = p.resourceIps.find((r: { resourceId: string }) => r.resourceId === gone.id);
    expect(failedRule.status).toBe('FAILED');
    expect(failedRule.errorMessage).toMatch(/not found/);
    await expectInvariant(e);

    const failed = await org.admin.post('/sessions', { ipv4Address: '192.0.2.67', resourceIds: [gone.id] });
    await drain(e);
    const f = await sessionOf(org.admin, failed.body.id);
    expect(f.status).toBe('FAILED');
    expect(f.endedAt).toMatch(/Z$/);
    expect((await org.admin.post(`/sessions/${failed.body.id}/stop`)).body.error).toBe('SESSION_NOT_ACTIVE');
    expect((await org.admin.post(`/sessions/${partial.body.id}/stop`)).status).toBe(200);
  });

  it('retries transient failures (throttling) with backoff, then applies', async () => {
    const sg = await securityGroup(e, org);
    e.aws.state.faults.throttleFor(60_000, ['AuthorizeSecurityGroupIngress']);
    const started = await org.admin.post('/sessions', { ipv4Address: '192.0.2.77', resourceIds: [sg.id] });
    await drain(e);
    const waiting = await sessionOf(org.admin, started.body.id);
    expect(waiting.status).toBe('PENDING');
    const { rows } = await e.t.db.query(`SELECT last_error, attempts FROM access_grants WHERE cidr = '192.0.2.77/32'`);
    expect(rows[0].attempts).toBeGreaterThanOrEqual(1);
    expect(rows[0].last_error).toMatch(/throttl|rate/i);
    e.aws.state.faults.clearThrottle();
    await retriesDueNow(e);
    await drain(e);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('ACTIVE');
    expect((await org.admin.post(`/sessions/${started.body.id}/stop`)).status).toBe(200);
  });

  it('gives up after SESSION_APPLY_TIMEOUT_SECONDS of transient failures: FAILED, and a removal in case a call got through', async () => {
    const sg = await securityGroup(e, org);
    e.aws.state.faults.throttleFor(60_000, ['AuthorizeSecurityGroupIngress']);
    const started = await org.admin.post('/sessions', { ipv4Address: '192.0.2.88', resourceIds: [sg.id] });
    await drain(e);
    await e.t.db.query(`UPDATE access_grants SET pending_since = now() - interval '1 hour' WHERE cidr = '192.0.2.88/32'`);
    await retriesDueNow(e);
    await drain(e);
    const failed = await sessionOf(org.admin, started.body.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.resourceIps[0].errorMessage).toMatch(/throttl|rate/i);
    e.aws.state.faults.clearThrottle();
    // The removal ran in the same drain (revokes were not throttled): a timed-out call is never trusted to have failed.
    expect(e.aws.state.requests.some((r) => r.action === 'RevokeSecurityGroupIngress' && r.status === 200)).toBe(true);
    expect((await e.t.db.query(`SELECT status FROM access_grants WHERE cidr = '192.0.2.88/32'`)).rows[0].status).toBe('REMOVED');
  });

  it('retries a removal until the provider is back; the rule shows its last error meanwhile', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '192.0.2.99', resourceIds: [sg.id] });
    await drain(e);
    e.aws.state.faults.throttleFor(60_000, ['RevokeSecurityGroupIngress']);
    await org.admin.post(`/sessions/${started.body.id}/stop`);
    await drain(e);
    const stuck = await sessionOf(org.admin, started.body.id);
    expect(stuck.status).toBe('EXPIRING');
    expect(stuck.resourceIps[0].status).toBe('REMOVING');
    expect(stuck.resourceIps[0].errorMessage).toMatch(/throttl|rate/i);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toHaveLength(1);
    e.aws.state.faults.clearThrottle();
    await retriesDueNow(e);
    await drain(e);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('CANCELLED');
  });

  it('ends the sessions of a deleted or deactivated user (USER_REMOVED)', async () => {
    const sg = await securityGroup(e, org);
    const member = await memberWith(e, org, [sg.id]);
    const me = (await member.get('/auth/me')).body;
    const started = await member.post('/sessions', { ipv4Address: '192.0.2.111' });
    expect(started.status).toBe(201);
    await drain(e);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toHaveLength(1);
    expect((await org.admin.delete(`/users/${me.id}`)).status).toBe(204);
    const ended = await sessionOf(org.admin, started.body.id);
    expect(ended).toMatchObject({ status: 'EXPIRING', endedReason: 'USER_REMOVED' });
    await drain(e);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('CANCELLED');
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toEqual([]);
    const rows = (await auditRows(e.t, org.id)).filter((row) => row.resource_id === started.body.id);
    expect(rows.map((row) => row.event_type)).toContain('SESSION_END_USER_REMOVED');
  });

  it('refuses to delete or retarget a resource while sessions hold rules on it; allows it once they are gone', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '192.0.2.122', resourceIds: [sg.id] });
    await drain(e);
    const refused = await org.admin.delete(`/resources/${sg.id}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: 'RESOURCE_IN_USE',
      message: 'Cannot delete resource with active sessions. Stop all active sessions first.',
    });
    expect((await org.admin.patch(`/resources/${sg.id}`, { config: { protocol: 'tcp', port: 443 } })).body.error).toBe('RESOURCE_IN_USE');
    expect((await org.admin.patch(`/resources/${sg.id}`, { name: 'Renamed while in use' })).status).toBe(200);
    await org.admin.post(`/sessions/${started.body.id}/stop`);
    await drain(e);
    expect((await org.admin.delete(`/resources/${sg.id}`)).status).toBe(204);
  });
});
