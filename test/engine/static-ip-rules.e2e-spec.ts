import { auditRows } from '../harness/factories';
import {
  apisixRoute,
  drain,
  EngineOrg,
  engineOrg,
  EngineTest,
  expectInvariant,
  memberWith,
  REGION,
  securityGroup,
  sessionOf,
  engineSuite,
} from './engine-harness';

/** Static IP rules (§16) as grant holders beside sessions, against the stateful fakes. */
describe('static IP rules', () => {
  let e: EngineTest;
  let org: EngineOrg;
  engineSuite({}, (ready, readyOrg) => {
    e = ready;
    org = readyOrg;
  });

  it('is applied, shares one provider rule with a session on the same address, stays when the session ends, goes when deleted', async () => {
    const sg = await securityGroup(e, org);
    const route = await apisixRoute(e, org);
    const created = await org.admin.post('/static-ip-rules', {
      label: 'Berlin office',
      ipAddress: '203.0.113.5',
      resourceIds: [sg.id, route.id],
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/v1/static-ip-rules/${created.body.id}`);
    expect(created.body).toMatchObject({
      label: 'Berlin office',
      ipAddress: '203.0.113.5/32',
      status: 'PENDING',
      createdByEmail: org.email,
    });
    expect(created.body.resources).toHaveLength(2);
    await drain(e);
    const active = await org.admin.get(`/static-ip-rules/${created.body.id}`);
    expect(active.body.status).toBe('ACTIVE');
    expect(active.body.resources.every((r: { status: string; appliedAt: string }) => r.status === 'APPLIED' && r.appliedAt)).toBe(true);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress.map((r) => r.cidr)).toEqual(['203.0.113.5/32']);
    expect(e.apisix.state.whitelist(route.routeId)).toEqual(['203.0.113.5/32']);

    // A member behind the same office address: the session joins the rule, no second provider rule.
    const member = await memberWith(e, org, [sg.id]);
    const authorizeBefore = e.aws.state.faults.callCount('AuthorizeSecurityGroupIngress');
    const session = await member.post('/sessions', { ipv4Address: '203.0.113.5' });
    expect(session.status).toBe(201);
    expect(session.body.status).toBe('ACTIVE');
    await drain(e);
    expect(e.aws.state.faults.callCount('AuthorizeSecurityGroupIngress')).toBe(authorizeBefore);
    expect((await member.post(`/sessions/${session.body.id}/stop`)).status).toBe(200);
    await drain(e);
    expect((await sessionOf(member, session.body.id)).status).toBe('CANCELLED');
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress.map((r) => r.cidr)).toEqual(['203.0.113.5/32']);
    await expectInvariant(e);

    // While the rule covers the resource, the resource cannot go.
    const refused = await org.admin.delete(`/resources/${sg.id}`);
    expect(refused.body).toMatchObject({
      error: 'RESOURCE_IN_USE',
      message: 'Cannot delete resource used by 1 static IP rule. Delete those rules first.',
    });

    expect((await org.admin.delete(`/static-ip-rules/${created.body.id}`)).status).toBe(204);
    expect((await org.admin.get(`/static-ip-rules/${created.body.id}`)).body.error).toBe('STATIC_IP_RULE_NOT_FOUND');
    await drain(e);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toEqual([]);
    expect(e.apisix.state.whitelist(route.routeId)).toEqual(['255.255.255.255/32']);
    expect((await org.admin.delete(`/resources/${sg.id}`)).status).toBe(204);
    const rows = (await auditRows(e.t, org.id)).filter((row) => row.resource_id === created.body.id);
    expect(rows.map((row) => row.event_type)).toEqual(['STATIC_IP_RULE_CREATE', 'STATIC_IP_RULE_DELETE']);
    expect(rows[0].details).toMatchObject({ label: 'Berlin office', ipAddress: '203.0.113.5/32', resourceCount: 2 });
  });

  it('opens a network (an office range) on AWS and APISIX alike', async () => {
    const sg = await securityGroup(e, org);
    const route = await apisixRoute(e, org);
    const rule = await org.admin.post('/static-ip-rules', {
      label: 'Office range',
      ipAddress: '198.51.100.0/24',
      resourceIds: [sg.id, route.id],
    });
    expect(rule.body.ipAddress).toBe('198.51.100.0/24');
    await drain(e);
    expect((await org.admin.get(`/static-ip-rules/${rule.body.id}`)).body.status).toBe('ACTIVE');
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress.map((r) => r.cidr)).toEqual(['198.51.100.0/24']);
    expect(e.apisix.state.whitelist(route.routeId)).toEqual(['198.51.100.0/24']);
    await expectInvariant(e);
    expect((await org.admin.delete(`/static-ip-rules/${rule.body.id}`)).status).toBe(204);
  });

  it('keeps a session’s rule when a static rule on the same address is deleted', async () => {
    const sg = await securityGroup(e, org);
    const session = await org.admin.post('/sessions', { ipv4Address: '203.0.113.6', resourceIds: [sg.id] });
    const rule = await org.admin.post('/static-ip-rules', { label: 'Build server', ipAddress: '203.0.113.6/32', resourceIds: [sg.id] });
    await drain(e);
    expect((await org.admin.delete(`/static-ip-rules/${rule.body.id}`)).status).toBe(204);
    await drain(e);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress.map((r) => r.cidr)).toEqual(['203.0.113.6/32']);
    expect((await sessionOf(org.admin, session.body.id)).status).toBe('ACTIVE');
    await org.admin.post(`/sessions/${session.body.id}/stop`);
  });

  it('refuses addresses that would open a firewall to the world, naming the network meant', async () => {
    const sg = await securityGroup(e, org);
    const cases: Array<[string, RegExp]> = [
      ['0.0.0.0/0', /prefix shorter than \/8/],
      ['::/0', /prefix shorter than \/32/],
      ['10.0.0.0/7', /prefix shorter than \/8/],
      ['10.0.0.5/24', /did you mean 10\.0\.0\.0\/24\?/],
      ['office', /IPv4 or IPv6 address/],
    ];
    for (const [ipAddress, message] of cases) {
      const refused = await org.admin.post('/static-ip-rules', { label: 'x', ipAddress, resourceIds: [sg.id] });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('VALIDATION_ERROR');
      expect(refused.body.details[0]).toMatchObject({ field: 'ipAddress', message: expect.stringMatching(message) });
    }
    expect((await org.admin.post('/static-ip-rules', { label: 'x', ipAddress: '203.0.113.7', resourceIds: [] })).body.error).toBe(
      'VALIDATION_ERROR',
    );
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await org.admin.post('/static-ip-rules', { label: 'x', ipAddress: '203.0.113.7', resourceIds: [missing] })).body).toMatchObject(
      {
        error: 'RESOURCE_NOT_FOUND',
        message: `Resource with ID ${missing} not found`,
      },
    );
    const { rows } = await e.t.db.query(`SELECT count(*)::int AS n FROM static_ip_rules WHERE organization_id = $1 AND label = 'x'`, [
      org.id,
    ]);
    expect(rows[0].n).toBe(0);
  });

  it('is for admins only; another organization’s rule is not found; Idempotency-Key replays', async () => {
    const sg = await securityGroup(e, org);
    const member = await memberWith(e, org, [sg.id]);
    expect((await member.get('/static-ip-rules')).status).toBe(403);
    const headers = { 'Idempotency-Key': `static-${Date.now()}` };
    const first = await org.admin.post('/static-ip-rules', { label: 'VPN', ipAddress: '203.0.113.8', resourceIds: [sg.id] }, headers);
    const again = await org.admin.post('/static-ip-rules', { label: 'VPN', ipAddress: '203.0.113.8', resourceIds: [sg.id] }, headers);
    expect(again.body.id).toBe(first.body.id);
    expect(
      (await org.admin.post('/static-ip-rules', { label: 'VPN 2', ipAddress: '203.0.113.8', resourceIds: [sg.id] }, headers)).status,
    ).toBe(409);
    const other = await engineOrg(e);
    expect((await other.admin.get(`/static-ip-rules/${first.body.id}`)).body).toMatchObject({
      error: 'STATIC_IP_RULE_NOT_FOUND',
      message: `Static IP rule with ID ${first.body.id} not found`,
    });
    expect((await other.admin.delete(`/static-ip-rules/${first.body.id}`)).status).toBe(404);
    expect((await org.admin.get('/static-ip-rules')).body.map((r: { id: string }) => r.id)).toContain(first.body.id);
    await drain(e);
    expect((await org.admin.delete(`/static-ip-rules/${first.body.id}`)).status).toBe(204);
  });
});
