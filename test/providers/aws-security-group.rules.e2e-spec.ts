import { isTransientFailure, type ProviderOutcome } from '@app/providers';
import { ACCESS_KEY_ID, GROUP, OFFICE_RULE, REGION, SECRET, secret, target, useAwsAdapter } from './aws-adapter.fixture';

// applyRules / removeRules / listRules in batches, against the fake's real state and its faults.
const ctx = useAwsAdapter();
const V4 = ['203.0.113.7/32', '203.0.113.8/32', '192.0.2.44/32'];
const V6 = ['2001:db8::7/128', '2001:db8::8/128'];
const rules = (cidrs: string[]) => cidrs.map((cidr) => ({ cidr, description: `EntryGuard session ${cidr.length}` }));
const calls = () => ctx.fake.state.requests.map((r) => [r.action, r.errorCode ?? r.status]);
const ours = () => ctx.fake.state.ingress(REGION, GROUP).filter((r) => r.cidr !== OFFICE_RULE.cidr);
const pairs = () =>
  ours()
    .map((r) => `${r.ipProtocol}:${r.fromPort} ${r.cidr}`)
    .sort();

function expectFailure(outcome: ProviderOutcome, kind: string, transient: boolean): void {
  expect(outcome).toMatchObject({ ok: false, kind });
  expect(isTransientFailure(outcome)).toBe(transient);
}

describe('batching: one provider call per resource', () => {
  it('adds IPv4 and IPv6 rules on every port in ONE AuthorizeSecurityGroupIngress, each with its description', async () => {
    const twoPorts = target({ config: { protocol: 'tcp', ports: [8443, 443] } });
    const outcome = await ctx.adapter.applyRules(secret(), twoPorts, rules([...V4, ...V6]));
    expect(outcome).toEqual({ ok: true, detail: `5 addresses may now reach ${GROUP}.` });
    expect(ctx.fake.state.callCounts()).toEqual({ AuthorizeSecurityGroupIngress: 1 });
    expect(pairs()).toEqual([...V4, ...V6].flatMap((cidr) => [`tcp:443 ${cidr}`, `tcp:8443 ${cidr}`]).sort());
    expect(ours().find((r) => r.cidr === '2001:db8::7/128')?.description).toBe('EntryGuard session 15');
  });

  it('removes them in ONE RevokeSecurityGroupIngress and leaves the office rule', async () => {
    const twoPorts = target({ config: { protocol: 'tcp', ports: [443, 8443] } });
    await ctx.adapter.applyRules(secret(), twoPorts, rules([...V4, ...V6]));
    ctx.fake.state.resetCounters();
    expect(await ctx.adapter.removeRules(secret(), twoPorts, [...V4, ...V6])).toEqual({
      ok: true,
      detail: `5 addresses no longer reach ${GROUP}.`,
    });
    expect(ctx.fake.state.callCounts()).toEqual({ RevokeSecurityGroupIngress: 1 });
    expect(ctx.fake.state.ingress(REGION, GROUP)).toEqual([OFFICE_RULE]);
  });

  it('makes no call at all for an empty batch', async () => {
    expect(await ctx.adapter.applyRules(secret(), target(), [])).toEqual({ ok: true, detail: 'No rules to add.' });
    expect(await ctx.adapter.removeRules(secret(), target(), [])).toEqual({ ok: true, detail: 'No rules to remove.' });
    expect(ctx.fake.state.requests).toHaveLength(0);
  });

  it('sends an address given twice (in two spellings) once', async () => {
    const outcome = await ctx.adapter.applyRules(secret(), target(), [
      { cidr: '2001:DB8::7', description: 'a' },
      { cidr: '2001:db8:0::7/128', description: 'b' },
    ]);
    expect(outcome.ok).toBe(true);
    expect(calls()).toEqual([['AuthorizeSecurityGroupIngress', 200]]);
    expect(ours()).toEqual([{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidr: '2001:db8::7/128', description: 'a' }]);
  });
});

describe('idempotency', () => {
  it('applying the same batch twice is success, and the group holds each rule once', async () => {
    await ctx.adapter.applyRules(secret(), target(), rules(V4));
    const again = await ctx.adapter.applyRules(secret(), target(), rules(V4));
    expect(again).toEqual({ ok: true, detail: `3 addresses may now reach ${GROUP}.` });
    expect(calls()).toEqual([
      ['AuthorizeSecurityGroupIngress', 200],
      ['AuthorizeSecurityGroupIngress', 'InvalidPermission.Duplicate'],
      ['DescribeSecurityGroups', 200],
    ]);
    expect(pairs()).toEqual(V4.map((cidr) => `tcp:443 ${cidr}`).sort());
  });

  it('a batch with one rule already present adds the others (EC2 refuses the whole call on a duplicate)', async () => {
    await ctx.adapter.applyRules(secret(), target(), rules([V4[1]]));
    ctx.fake.state.clearRequests();
    expect(await ctx.adapter.applyRules(secret(), target(), rules(V4))).toEqual({
      ok: true,
      detail: `3 addresses may now reach ${GROUP}.`,
    });
    expect(calls()).toEqual([
      ['AuthorizeSecurityGroupIngress', 'InvalidPermission.Duplicate'],
      ['DescribeSecurityGroups', 200],
      ['AuthorizeSecurityGroupIngress', 200],
    ]);
    expect(pairs()).toEqual(V4.map((cidr) => `tcp:443 ${cidr}`).sort());
  });

  const modes = ['error', 'unknown', 'silent'] as const;
  const mixedCalls = {
    // EC2-Classic style: the whole call is refused; read the group, revoke what is there.
    error: [
      ['RevokeSecurityGroupIngress', 'InvalidPermission.NotFound'],
      ['DescribeSecurityGroups', 200],
      ['RevokeSecurityGroupIngress', 200],
    ],
    // VPC style: the present ones go, the absent ones come back as unknown.
    unknown: [['RevokeSecurityGroupIngress', 200]],
    silent: [
      ['RevokeSecurityGroupIngress', 200],
      ['DescribeSecurityGroups', 200],
    ],
  };

  it.each(modes)('removing a batch of present and absent rules removes the present ones (AWS answering %s)', async (mode) => {
    await ctx.adapter.applyRules(secret(), target(), rules(V4.slice(0, 2)));
    ctx.fake.state.revokeAbsentBehaviour = mode;
    ctx.fake.state.clearRequests();
    expect((await ctx.adapter.removeRules(secret(), target(), V4)).ok).toBe(true);
    expect(calls()).toEqual(mixedCalls[mode]);
    expect(ctx.fake.state.ingress(REGION, GROUP)).toEqual([OFFICE_RULE]);
  });

  it.each(modes)('removing a batch of absent rules is success and touches nothing (AWS answering %s)', async (mode) => {
    ctx.fake.state.revokeAbsentBehaviour = mode;
    expect(await ctx.adapter.removeRules(secret(), target(), [...V4, ...V6])).toEqual({
      ok: true,
      detail: `5 addresses no longer reach ${GROUP}.`,
    });
    expect(ctx.fake.state.ingress(REGION, GROUP)).toEqual([OFFICE_RULE]);
  });
});

describe('permanent failures: at once, with the provider reason', () => {
  it("the group's rule limit is LIMIT_EXCEEDED, permanent, and EC2 adds nothing of the batch", async () => {
    ctx.fake.state.ruleLimit = 3; // the office rule + 2
    const outcome = await ctx.adapter.applyRules(secret(), target(), rules(V4));
    expect(outcome).toEqual({
      ok: false,
      kind: 'LIMIT_EXCEEDED',
      reason: `Security group ${GROUP} has no room for more inbound rules (RulesPerSecurityGroupLimitExceeded: The maximum number of rules per security group has been reached.).`,
    });
    expect(isTransientFailure(outcome)).toBe(false);
    expect(calls()).toEqual([['AuthorizeSecurityGroupIngress', 'RulesPerSecurityGroupLimitExceeded']]);
    expect(ours()).toEqual([]);
    expect((await ctx.adapter.applyRules(secret(), target(), rules(V4.slice(0, 2)))).ok).toBe(true);
  });

  it('a limit set on one group counts each port and address as one rule', async () => {
    ctx.fake.state.addSecurityGroup(REGION, { groupId: 'sg-0000000000000aaaa', ruleLimit: 3 });
    const small = target({ resourceIdentifier: 'sg-0000000000000aaaa', config: { protocol: 'tcp', ports: [80, 443] } });
    expectFailure(await ctx.adapter.applyRules(secret(), small, rules(V4.slice(0, 2))), 'LIMIT_EXCEEDED', false);
    expect((await ctx.adapter.applyRules(secret(), small, rules(V4.slice(0, 1)))).ok).toBe(true);
    expect(ctx.fake.state.ingress(REGION, 'sg-0000000000000aaaa')).toHaveLength(2);
  });

  it('a missing group is NOT_FOUND for apply, remove and list', async () => {
    const gone = target({ resourceIdentifier: 'sg-00000000000000000' });
    const reason = `Security group sg-00000000000000000 was not found in region ${REGION}.`;
    expect(await ctx.adapter.applyRules(secret(), gone, rules(V4))).toEqual({ ok: false, kind: 'NOT_FOUND', reason });
    expect(await ctx.adapter.removeRules(secret(), gone, V4)).toEqual({ ok: false, kind: 'NOT_FOUND', reason });
    expect(await ctx.adapter.listRules(secret(), gone)).toEqual({ ok: false, kind: 'NOT_FOUND', reason });
    expect(isTransientFailure({ ok: false, kind: 'NOT_FOUND', reason })).toBe(false);
  });

  it('keys without the permission are ACCESS_DENIED, naming it, with one call each', async () => {
    ctx.fake.state.addAccount(ACCESS_KEY_ID, {
      secretAccessKey: SECRET,
      accountId: '111122223333',
      allowedActions: ['ec2:DescribeSecurityGroups'],
    });
    expect(await ctx.adapter.applyRules(secret(), target(), rules(V4))).toEqual({
      ok: false,
      kind: 'ACCESS_DENIED',
      reason: 'AWS denied AuthorizeSecurityGroupIngress: these keys lack the permission ec2:AuthorizeSecurityGroupIngress.',
    });
    expectFailure(await ctx.adapter.removeRules(secret(), target(), V4), 'ACCESS_DENIED', false);
    expect(calls()).toEqual([
      ['AuthorizeSecurityGroupIngress', 'UnauthorizedOperation'],
      ['RevokeSecurityGroupIngress', 'UnauthorizedOperation'],
    ]);
  });
});

describe('transient failures: one attempt, reported for the engine to retry', () => {
  it('throttling is THROTTLED after exactly one call, nothing added; the next call succeeds', async () => {
    ctx.fake.state.throttleNext(1);
    const outcome = await ctx.adapter.applyRules(secret(), target(), rules(V4));
    expectFailure(outcome, 'THROTTLED', true);
    expect(calls()).toEqual([['AuthorizeSecurityGroupIngress', 'RequestLimitExceeded']]);
    expect(ours()).toEqual([]);
    expect((await ctx.adapter.applyRules(secret(), target(), rules(V4))).ok).toBe(true);
  });

  it('a throttling window throttles every call until it is cleared', async () => {
    ctx.fake.state.throttleFor(60_000, ['DescribeSecurityGroups', 'RevokeSecurityGroupIngress']);
    expectFailure(await ctx.adapter.listRules(secret(), target()), 'THROTTLED', true);
    expectFailure(await ctx.adapter.removeRules(secret(), target(), V4), 'THROTTLED', true);
    expect((await ctx.adapter.applyRules(secret(), target(), rules(V4))).ok).toBe(true);
    ctx.fake.state.faults.clearThrottle();
    expect((await ctx.adapter.listRules(secret(), target())).ok).toBe(true);
  });

  it('a call slower than the timeout is TIMEOUT; AWS still applies it, and applying again is success', async () => {
    ctx.fake.state.delayMs = 1000;
    const outcome = await ctx.adapterWith({ timeoutMs: 150 }).applyRules(secret(), target(), rules(V4));
    expect(outcome).toEqual({ ok: false, kind: 'TIMEOUT', reason: 'AWS did not answer within 150 ms.' });
    expect(isTransientFailure(outcome)).toBe(true);
    ctx.fake.state.delayMs = 0;
    await waitFor(() => ours().length === 3);
    expect((await ctx.adapter.applyRules(secret(), target(), rules(V4))).ok).toBe(true);
    expect(pairs()).toEqual(V4.map((cidr) => `tcp:443 ${cidr}`).sort());
  });

  it('an AWS that resets every connection is UNREACHABLE and counts no call; back up, it works', async () => {
    ctx.fake.state.down = 'refuse';
    const outcome = await ctx.adapter.applyRules(secret(), target(), rules(V4));
    expect(outcome).toEqual({ ok: false, kind: 'UNREACHABLE', reason: 'Could not reach the AWS EC2 endpoint: the network failed.' });
    expect(isTransientFailure(outcome)).toBe(true);
    expect(ctx.fake.state.callCounts()).toEqual({});
    ctx.fake.state.down = false;
    expect((await ctx.adapter.applyRules(secret(), target(), rules(V4))).ok).toBe(true);
  });

  it('an AWS answering 503 Unavailable is UNREACHABLE (transient), for every action', async () => {
    ctx.fake.state.down = 'unavailable';
    expect(await ctx.adapter.removeRules(secret(), target(), V4)).toEqual({
      ok: false,
      kind: 'UNREACHABLE',
      reason: 'AWS could not handle RevokeSecurityGroupIngress just now (HTTP 503); try again later.',
    });
    expectFailure(await ctx.adapter.listRules(secret(), target()), 'UNREACHABLE', true);
    expect(calls()).toEqual([
      ['RevokeSecurityGroupIngress', 'Unavailable'],
      ['DescribeSecurityGroups', 'Unavailable'],
    ]);
  });
});

describe('listRules: what the group holds for the resource protocol and ports', () => {
  const seeded = (overrides: object = {}) =>
    ctx.fake.state.addSecurityGroup(REGION, {
      groupId: GROUP,
      ingress: [
        OFFICE_RULE,
        { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidr: '203.0.113.7/32', description: 'EntryGuard session a' },
        { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.0.0.0/8', description: 'vpn' },
        { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidr: '2001:DB8::7/128' },
        { ipProtocol: 'tcp', fromPort: 8443, toPort: 8443, cidr: '203.0.113.7/32', description: 'EntryGuard session a' },
        { ipProtocol: 'tcp', fromPort: 400, toPort: 500, cidr: '192.0.2.9/32', description: 'range' },
        { ipProtocol: 'udp', fromPort: 443, toPort: 443, cidr: '192.0.2.10/32', description: 'quic' },
        { ipProtocol: '-1', cidr: '192.0.2.11/32', description: 'everything' },
        { ipProtocol: 'icmp', fromPort: -1, toPort: -1, cidr: '192.0.2.12/32' },
      ],
      ...overrides,
    });

  it('returns the rules of that protocol and port only, with descriptions (null when none), single addresses canonical', async () => {
    seeded();
    expect(await ctx.adapter.listRules(secret(), target())).toEqual({
      ok: true,
      rules: [
        { cidr: '203.0.113.7/32', description: 'EntryGuard session a' },
        { cidr: '10.0.0.0/8', description: 'vpn' },
        { cidr: '2001:db8::7/128', description: null },
      ],
    });
    expect(calls()).toEqual([['DescribeSecurityGroups', 200]]);
  });

  it('with several ports, an address open on only some of them is marked partial', async () => {
    seeded();
    const outcome = await ctx.adapter.listRules(secret(), target({ config: { protocol: 'tcp', ports: [443, 8443] } }));
    expect(outcome.ok && outcome.rules.find((r) => r.cidr === '203.0.113.7/32')).toEqual({
      cidr: '203.0.113.7/32',
      description: 'EntryGuard session a',
    });
    expect(outcome.ok && outcome.rules.find((r) => r.cidr === '10.0.0.0/8')).toEqual({
      cidr: '10.0.0.0/8',
      description: 'vpn',
      partial: true,
    });
  });

  it.each([
    [{ protocol: 'udp', port: 443 }, ['192.0.2.10/32']],
    [{ protocol: 'all' }, ['192.0.2.11/32']],
    [{ protocol: 'icmp' }, ['192.0.2.12/32']],
    [{ protocol: 'tcp', port: 22 }, ['198.51.100.10/32']],
    [{ protocol: 'tcp', port: 9999 }, []],
  ])('for %j returns %j', async (config, cidrs) => {
    seeded();
    const outcome = await ctx.adapter.listRules(secret(), target({ config }));
    expect(outcome.ok && outcome.rules.map((r) => r.cidr)).toEqual(cidrs);
  });

  it('reads back what applyRules wrote, and nothing after removeRules', async () => {
    await ctx.adapter.applyRules(secret(), target(), rules([...V4, ...V6]));
    const listed = await ctx.adapter.listRules(secret(), target());
    expect(listed.ok && listed.rules.map((r) => r.cidr).sort()).toEqual([...V4, ...V6].sort());
    await ctx.adapter.removeRules(secret(), target(), [...V4, ...V6]);
    expect(await ctx.adapter.listRules(secret(), target())).toEqual({ ok: true, rules: [] });
  });
});

/** Polls a condition about the fake's state (no fixed sleeps); Jest's timeout bounds it. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
