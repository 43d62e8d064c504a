import { drain, EngineOrg, EngineTest, apisixRoute, REGION, securityGroup, sessionOf, engineSuite } from './engine-harness';

/** Reconcile (§13) and resource-health events (§14), against the stateful fakes. */
describe('sessions engine: reconcile and resource health', () => {
  let e: EngineTest;
  let org: EngineOrg;
  engineSuite({}, (ready, readyOrg) => {
    e = ready;
    org = readyOrg;
  });

  async function reconcileNow(resourceId: string): Promise<void> {
    await e.t.db.query(`UPDATE resource_sync SET reconcile_due_at = now() WHERE resource_id = $1`, [resourceId]);
    await drain(e);
  }

  async function events(resourceId: string): Promise<Array<Record<string, any>>> {
    const page = await org.admin.get(`/resource-health/events?resourceId=${resourceId}`);
    expect(page.status).toBe(200);
    return page.body.content;
  }

  it('puts back a rule deleted behind our back, removes a stranded EntryGuard rule, reports an unknown address untouched', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '203.0.113.20', resourceIds: [sg.id] });
    await drain(e);
    const group = e.aws.state.group(REGION, sg.groupId)!;
    expect(group.ingress.map((r) => r.cidr)).toEqual(['203.0.113.20/32']);

    // Behind our back: someone deletes our rule, adds their own office, and a rule of ours with no holder appears.
    group.ingress = [
      { ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidr: '198.51.100.0/24', description: 'Office VPN (by hand)' },
      {
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        cidr: '192.0.2.200/32',
        description: 'EntryGuard session 00000000-0000-4000-8000-000000000000',
      },
    ];
    e.baseline.set(`aws:${REGION}:${sg.groupId}:tcp:22`, new Set(['198.51.100.0/24']));

    await reconcileNow(sg.id);
    const cidrs = e.aws.state
      .group(REGION, sg.groupId)!
      .ingress.map((r) => r.cidr)
      .sort();
    expect(cidrs).toEqual(['198.51.100.0/24', '203.0.113.20/32']);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('ACTIVE');

    const [failed] = await events(sg.id);
    expect(failed).toMatchObject({
      resourceId: sg.id,
      eventType: 'RECONCILE_FAILED',
      message: '1 rule(s) missing and 1 stranded; repairing',
      details: { staleCidrs: ['198.51.100.0/24'], missingCidrs: ['203.0.113.20/32'], strandedCidrs: ['192.0.2.200/32'] },
    });
    expect(failed.createdAt).toMatch(/Z$/);

    // The next look finds everything in order: RECONCILE_OK, still naming the unknown address.
    await reconcileNow(sg.id);
    const [ok] = await events(sg.id);
    expect(ok).toMatchObject({ eventType: 'RECONCILE_OK', message: null, details: { staleCidrs: ['198.51.100.0/24'] } });

    // Nothing changed: no new event.
    await reconcileNow(sg.id);
    expect(await events(sg.id)).toHaveLength(2);

    // The set of unknown addresses changes: that is a state change too.
    e.aws.state.group(REGION, sg.groupId)!.ingress = e.aws.state
      .group(REGION, sg.groupId)!
      .ingress.filter((rule) => rule.cidr !== '198.51.100.0/24');
    e.baseline.clear();
    await reconcileNow(sg.id);
    const [changed] = await events(sg.id);
    expect(changed).toMatchObject({ eventType: 'RECONCILE_OK', details: { staleCidrs: [] } });

    await org.admin.post(`/sessions/${started.body.id}/stop`);
  });

  it('reconciles APISIX routes too: a whitelist entry lost is put back', async () => {
    const route = await apisixRoute(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '203.0.113.21', resourceIds: [route.id] });
    await drain(e);
    expect(e.apisix.state.whitelist(route.routeId)).toEqual(['203.0.113.21/32']);
    const current = e.apisix.state.route(route.routeId)!;
    e.apisix.state.setRoute(route.routeId, { ...current, plugins: { 'ip-restriction': { whitelist: ['255.255.255.255/32'] } } });
    await reconcileNow(route.id);
    expect(e.apisix.state.whitelist(route.routeId)).toEqual(['203.0.113.21/32']);
    expect((await events(route.id))[0].eventType).toBe('RECONCILE_FAILED');
    await org.admin.post(`/sessions/${started.body.id}/stop`);
  });

  it('writes VERIFY_OK and VERIFY_FAILED events only when verification changes the state', async () => {
    const sg = await securityGroup(e, org);
    await e.t.db.query(`UPDATE resources SET is_active = false WHERE id = $1`, [sg.id]);
    expect((await org.admin.post(`/resources/${sg.id}/verify`)).status).toBe(200);
    expect((await org.admin.post(`/resources/${sg.id}/verify`)).status).toBe(200);
    e.aws.state.groups.get(REGION)!.delete(sg.groupId);
    expect((await org.admin.post(`/resources/${sg.id}/verify`)).status).toBe(400);
    const types = (await events(sg.id)).map((event) => event.eventType);
    // Newest first: created (verified OK), set inactive by hand then verified OK again, verified again (no change:
    // no event), then the group is gone (FAILED).
    expect(types).toEqual(['VERIFY_FAILED', 'VERIFY_OK', 'VERIFY_OK']);
    const [failed] = await events(sg.id);
    expect(failed.message).toMatch(/not found/);
  });

  it('pages events newest first, for admins only', async () => {
    const page = await org.admin.get('/resource-health/events?page=0&size=2');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ number: 0, size: 2 });
    expect(page.body.content.length).toBeLessThanOrEqual(2);
    expect(page.body.totalElements).toBeGreaterThanOrEqual(5);
    expect((await org.admin.get('/resource-health/events?size=0')).body.error).toBe('VALIDATION_ERROR');
    expect((await org.admin.get('/resource-health/events?resourceId=nope')).body.error).toBe('VALIDATION_ERROR');
  });
});
