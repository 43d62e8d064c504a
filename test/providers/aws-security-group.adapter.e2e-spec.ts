import {
  ACCESS_KEY_ID,
  expectCleanReason,
  GROUP,
  OFFICE_RULE,
  OTHER_SECRET,
  REGION,
  SECRET,
  secret,
  target,
  useAwsAdapter,
} from './aws-adapter.fixture';

// The batch behaviour, faults and listRules are in aws-security-group.rules.e2e-spec.ts.
const ctx = useAwsAdapter();
const rule = { cidr: '203.0.113.7/32', description: 'EntryGuard session 3f2a' };

describe('verifyCredential (STS GetCallerIdentity)', () => {
  it('accepts valid keys and reports the account', async () => {
    const outcome = await ctx.adapter.verifyCredential(secret());
    expect(outcome).toEqual({ ok: true, detail: 'The keys work for AWS account 111122223333.' });
    expect(ctx.fake.state.requests).toEqual([
      { service: 'sts', action: 'GetCallerIdentity', region: 'us-east-1', accessKeyId: ACCESS_KEY_ID, status: 200, errorCode: undefined },
    ]);
  });

  it('reports a wrong secret as INVALID_CREDENTIALS after the fake refuses the signature', async () => {
    const outcome = await ctx.adapter.verifyCredential(secret({ secretAccessKey: OTHER_SECRET }));
    expect(outcome).toEqual({
      ok: false,
      kind: 'INVALID_CREDENTIALS',
      reason: 'AWS refused the keys: the secret access key does not match the access key id.',
    });
    expect(ctx.fake.state.requests.map((r) => [r.status, r.errorCode])).toEqual([[403, 'SignatureDoesNotMatch']]);
    expectCleanReason(outcome);
  });

  it('reports an unknown access key id as INVALID_CREDENTIALS', async () => {
    const outcome = await ctx.adapter.verifyCredential(secret({ accessKeyId: 'AKIAUNKNOWN000000000' }));
    expect(outcome).toEqual({ ok: false, kind: 'INVALID_CREDENTIALS', reason: 'AWS refused the keys: the access key id is not valid.' });
    expect(ctx.fake.state.requests[0].errorCode).toBe('InvalidClientTokenId');
  });

  it('sends the session token of temporary keys, and a wrong one is refused', async () => {
    ctx.fake.state.addAccount('ASIATEMP000000000001', {
      secretAccessKey: SECRET,
      accountId: '444455556666',
      sessionToken: 'session-token-value-123',
    });
    const good = await ctx.adapter.verifyCredential(
      secret({ accessKeyId: 'ASIATEMP000000000001', sessionToken: 'session-token-value-123' }),
    );
    expect(good).toEqual({ ok: true, detail: 'The keys work for AWS account 444455556666.' });
    const bad = await ctx.adapter.verifyCredential(secret({ accessKeyId: 'ASIATEMP000000000001', sessionToken: 'stale-token-000000' }));
    expect(bad).toMatchObject({ ok: false, kind: 'INVALID_CREDENTIALS' });
    expectCleanReason(bad);
  });

  it('maps STS AccessDenied to ACCESS_DENIED without retrying', async () => {
    ctx.fake.state.addAccount(ACCESS_KEY_ID, {
      secretAccessKey: SECRET,
      accountId: '111122223333',
      allowedActions: ['ec2:DescribeSecurityGroups'],
    });
    const outcome = await ctx.adapter.verifyCredential(secret());
    expect(outcome).toEqual({
      ok: false,
      kind: 'ACCESS_DENIED',
      reason: 'AWS denied GetCallerIdentity: these keys lack the permission sts:GetCallerIdentity.',
    });
    expect(ctx.fake.state.requestsFor('GetCallerIdentity')).toHaveLength(1);
  });

  it('retries STS throttling (HTTP 400 Throttling) and then succeeds', async () => {
    ctx.fake.state.throttleNext(1);
    const outcome = await ctx.adapter.verifyCredential(secret());
    expect(outcome.ok).toBe(true);
    expect(ctx.fake.state.requestsFor('GetCallerIdentity').map((r) => r.errorCode ?? r.status)).toEqual(['Throttling', 200]);
  });

  it('does not read keys from the environment when the secret is incomplete', async () => {
    const outcome = await ctx.adapter.verifyCredential({ provider: 'AWS', data: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: '' } });
    expect(outcome).toEqual({ ok: false, kind: 'INVALID_CREDENTIALS', reason: 'The credential is not a complete AWS access key.' });
    expect(ctx.fake.state.requests).toHaveLength(0);
  });
});

describe('verifyResource (EC2 DescribeSecurityGroups)', () => {
  it('finds the group in its region', async () => {
    const outcome = await ctx.adapter.verifyResource(secret(), target());
    expect(outcome).toEqual({ ok: true, detail: `Security group ${GROUP} (web-admin) exists in ${REGION}.` });
    expect(ctx.fake.state.requests).toMatchObject([{ service: 'ec2', action: 'DescribeSecurityGroups', region: REGION, status: 200 }]);
  });

  it('reports a missing group as NOT_FOUND', async () => {
    const outcome = await ctx.adapter.verifyResource(secret(), target({ resourceIdentifier: 'sg-00000000000000000' }));
    expect(outcome).toEqual({
      ok: false,
      kind: 'NOT_FOUND',
      reason: `Security group sg-00000000000000000 was not found in region ${REGION}.`,
    });
  });

  it('looks only in the target region', async () => {
    const outcome = await ctx.adapter.verifyResource(secret(), target({ region: 'us-west-2' }));
    expect(outcome).toEqual({ ok: false, kind: 'NOT_FOUND', reason: `Security group ${GROUP} was not found in region us-west-2.` });
    expect(ctx.fake.state.requests[0].region).toBe('us-west-2');
  });

  it('reports a malformed group id as NOT_FOUND', async () => {
    const outcome = await ctx.adapter.verifyResource(secret(), target({ resourceIdentifier: 'web-admin' }));
    expect(outcome).toEqual({ ok: false, kind: 'NOT_FOUND', reason: '"web-admin" is not a valid security group id (expected sg-…).' });
  });

  it('reports EC2 refusing the signature as INVALID_CREDENTIALS', async () => {
    const outcome = await ctx.adapter.verifyResource(secret({ secretAccessKey: OTHER_SECRET }), target());
    expect(outcome).toMatchObject({ ok: false, kind: 'INVALID_CREDENTIALS' });
    const unknown = await ctx.adapter.verifyResource(secret({ accessKeyId: 'AKIAUNKNOWN000000000' }), target());
    expect(unknown).toEqual({ ok: false, kind: 'INVALID_CREDENTIALS', reason: 'AWS refused the keys: they could not be validated.' });
    expect(ctx.fake.state.requests.map((r) => r.errorCode)).toEqual(['SignatureDoesNotMatch', 'AuthFailure']);
    expectCleanReason(outcome);
  });

  it('reports a missing permission as ACCESS_DENIED and does not retry it', async () => {
    ctx.fake.state.addAccount(ACCESS_KEY_ID, { secretAccessKey: SECRET, accountId: '111122223333', allowedActions: ['GetCallerIdentity'] });
    const outcome = await ctx.adapter.verifyResource(secret(), target());
    expect(outcome).toEqual({
      ok: false,
      kind: 'ACCESS_DENIED',
      reason: 'AWS denied DescribeSecurityGroups: these keys lack the permission ec2:DescribeSecurityGroups.',
    });
    expect(ctx.fake.state.requestsFor('DescribeSecurityGroups')).toEqual([
      {
        service: 'ec2',
        action: 'DescribeSecurityGroups',
        region: REGION,
        accessKeyId: ACCESS_KEY_ID,
        status: 403,
        errorCode: 'UnauthorizedOperation',
      },
    ]);
  });

  it('retries throttling a few times itself (nothing above it retries a verification), then says THROTTLED', async () => {
    ctx.fake.state.throttleNext(100);
    const outcome = await ctx.adapterWith({ throttleRetries: 3 }).verifyResource(secret(), target());
    expect(outcome).toEqual({
      ok: false,
      kind: 'THROTTLED',
      reason: 'AWS kept throttling requests after 4 attempt(s); try again shortly.',
    });
    expect(ctx.fake.state.requestsFor('DescribeSecurityGroups')).toHaveLength(4);
  });

  it('refuses a resource without a valid region before calling AWS', async () => {
    const outcome = await ctx.adapter.verifyResource(secret(), target({ region: null }));
    expect(outcome).toEqual({ ok: false, kind: 'PROVIDER_ERROR', reason: 'An AWS security group needs a valid region; "" is not one.' });
    expect(ctx.fake.state.requests).toHaveLength(0);
  });
});

describe('applyRules / removeRules with one rule', () => {
  it('adds exactly the configured rule with its description', async () => {
    const outcome = await ctx.adapter.applyRules(secret(), target(), [rule]);
    expect(outcome).toEqual({ ok: true, detail: `203.0.113.7/32 may now reach ${GROUP}.` });
    expect(ctx.fake.state.ingress(REGION, GROUP)).toEqual([
      OFFICE_RULE,
      { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidr: '203.0.113.7/32', description: 'EntryGuard session 3f2a' },
    ]);
  });

  it('treats a duplicate rule as success and the group keeps one copy', async () => {
    expect((await ctx.adapter.applyRules(secret(), target(), [rule])).ok).toBe(true);
    const again = await ctx.adapter.applyRules(secret(), target(), [rule]);
    expect(again).toEqual({ ok: true, detail: `203.0.113.7/32 may now reach ${GROUP}.` });
    expect(ctx.fake.state.requests.map((r) => [r.action, r.errorCode ?? r.status])).toEqual([
      ['AuthorizeSecurityGroupIngress', 200],
      ['AuthorizeSecurityGroupIngress', 'InvalidPermission.Duplicate'],
      // EC2 refused the whole call: the adapter reads the group and finds nothing missing.
      ['DescribeSecurityGroups', 200],
    ]);
    expect(ctx.fake.state.ingress(REGION, GROUP).filter((r) => r.cidr === '203.0.113.7/32')).toHaveLength(1);
  });

  it('adds the missing ports when some of several ports already exist', async () => {
    await ctx.adapter.applyRules(secret(), target({ config: { protocol: 'tcp', port: 443 } }), [rule]);
    const outcome = await ctx.adapter.applyRules(secret(), target({ config: { protocol: 'tcp', ports: [8443, 443, 80] } }), [rule]);
    expect(outcome.ok).toBe(true);
    const ports = ctx.fake.state
      .ingress(REGION, GROUP)
      .filter((r) => r.cidr === '203.0.113.7/32')
      .map((r) => r.fromPort);
    expect(ports.sort((a, b) => a! - b!)).toEqual([80, 443, 8443]);
  });

  it('opens all traffic as IpProtocol -1 and icmp as -1/-1', async () => {
    await ctx.adapter.applyRules(secret(), target({ config: { protocol: 'all' } }), [rule]);
    await ctx.adapter.applyRules(secret(), target({ config: { protocol: 'icmp' } }), [rule]);
    expect(ctx.fake.state.ingress(REGION, GROUP).slice(1)).toEqual([
      { ipProtocol: '-1', cidr: '203.0.113.7/32', description: 'EntryGuard session 3f2a' },
      { ipProtocol: 'icmp', fromPort: -1, toPort: -1, cidr: '203.0.113.7/32', description: 'EntryGuard session 3f2a' },
    ]);
  });

  it('handles an IPv6 /128 through Ipv6Ranges, whatever its spelling', async () => {
    const v6 = { cidr: '2001:DB8:0:0:0:0:0:42/128', description: 'EntryGuard v6' };
    const udp = target({ config: { protocol: 'udp', port: 51820 } });
    expect((await ctx.adapter.applyRules(secret(), udp, [v6])).ok).toBe(true);
    expect(ctx.fake.state.ingress(REGION, GROUP)[1]).toEqual({
      ipProtocol: 'udp',
      fromPort: 51820,
      toPort: 51820,
      cidr: '2001:db8::42/128',
      description: 'EntryGuard v6',
    });
    expect(await ctx.adapter.removeRules(secret(), udp, ['2001:db8:0::42'])).toEqual({
      ok: true,
      detail: `2001:db8::42/128 no longer reaches ${GROUP}.`,
    });
    expect(ctx.fake.state.ingress(REGION, GROUP).map((r) => r.cidr)).toEqual(['198.51.100.10/32']);
  });

  it('makes a description AWS would reject acceptable instead of failing the session', async () => {
    const outcome = await ctx.adapter.applyRules(secret(), target(), [{ cidr: rule.cidr, description: 'Zoë’s laptop <home>' }]);
    expect(outcome.ok).toBe(true);
    expect(ctx.fake.state.ingress(REGION, GROUP)[1].description).toBe('Zo--s laptop -home-');
  });

  it('refuses anything wider than /8 (or /32 for IPv6), without calling AWS', async () => {
    const outcome = await ctx.adapter.applyRules(secret(), target(), [rule, { cidr: '0.0.0.0/0', description: 'x' }]);
    expect(outcome).toEqual({
      ok: false,
      kind: 'UNSAFE',
      reason:
        'Only a single address, or a network of at least /8 (IPv4) or /32 (IPv6) with no host bits, can be opened, and "0.0.0.0/0" is neither.',
    });
    expect(await ctx.adapter.removeRules(secret(), target(), ['10.0.0.0/7'])).toEqual({
      ok: false,
      kind: 'UNSAFE',
      reason:
        'Only a single address, or a network of at least /8 (IPv4) or /32 (IPv6) with no host bits, can be removed, and "10.0.0.0/7" is neither.',
    });
    expect(ctx.fake.state.requests).toHaveLength(0);
  });

  it('refuses a config without ports for tcp, without calling AWS', async () => {
    const outcome = await ctx.adapter.applyRules(secret(), target({ config: { protocol: 'tcp' } }), [rule]);
    expect(outcome).toEqual({
      ok: false,
      kind: 'PROVIDER_ERROR',
      reason: 'The resource config for tcp needs a port (or ports) between 0 and 65535.',
    });
    expect(ctx.fake.state.requests).toHaveLength(0);
  });

  it('revokes only the given rule and leaves the others', async () => {
    await ctx.adapter.applyRules(secret(), target(), [rule]);
    const outcome = await ctx.adapter.removeRules(secret(), target(), [rule.cidr]);
    expect(outcome).toEqual({ ok: true, detail: `203.0.113.7/32 no longer reaches ${GROUP}.` });
    expect(ctx.fake.state.ingress(REGION, GROUP)).toEqual([OFFICE_RULE]);
  });

  it.each(['error', 'unknown', 'silent'] as const)('treats revoking an absent rule as success (AWS answering %s)', async (behaviour) => {
    ctx.fake.state.revokeAbsentBehaviour = behaviour;
    const outcome = await ctx.adapter.removeRules(secret(), target(), [rule.cidr]);
    expect(outcome.ok).toBe(true);
    const expectedCalls = {
      // NotFound about the only rule asked for settles it.
      error: [['RevokeSecurityGroupIngress', 'InvalidPermission.NotFound']],
      unknown: [['RevokeSecurityGroupIngress', 200]],
      // Return=false with no explanation: the adapter checks the group before calling it done.
      silent: [
        ['RevokeSecurityGroupIngress', 200],
        ['DescribeSecurityGroups', 200],
      ],
    }[behaviour];
    expect(ctx.fake.state.requests.map((r) => [r.action, r.errorCode ?? r.status])).toEqual(expectedCalls);
    expect(ctx.fake.state.ingress(REGION, GROUP)).toHaveLength(1);
  });

  it('keeps secrets out of every reason, even a refused signature on a rule change', async () => {
    const outcome = await ctx.adapter.applyRules(secret({ secretAccessKey: OTHER_SECRET }), target(), [rule]);
    expect(outcome).toEqual({
      ok: false,
      kind: 'INVALID_CREDENTIALS',
      reason: 'AWS refused the keys: the secret access key does not match the access key id.',
    });
    expectCleanReason(outcome);
    expect(ctx.fake.state.requests.map((r) => r.accessKeyId)).toEqual([ACCESS_KEY_ID]);
  });
});
