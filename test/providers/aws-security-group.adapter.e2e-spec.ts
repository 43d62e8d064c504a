import { createServer } from 'node:net';
import {
  AwsSecurityGroupAdapter,
  resolveProvidersOptions,
  type CredentialSecret,
  type ProviderOutcome,
  type ProvidersOptions,
  type ResourceTarget,
} from '@app/providers';
import { startAwsFakeServer, type AwsFakeServer } from '../fakes/aws-fake-server';
import { recordOutcomes } from './outcome-recorder';

const ACCESS_KEY_ID = 'AKIAEXAMPLE000000001';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const OTHER_SECRET = 'this-is-not-the-right-secret-key-0000000';
const REGION = 'eu-central-1';
const GROUP = 'sg-0a1b2c3d4e5f60718';

const secret = (data: Partial<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> = {}): CredentialSecret => ({
  provider: 'AWS',
  data: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, ...data },
});

const target = (overrides: Partial<ResourceTarget> = {}): ResourceTarget => ({
  provider: 'AWS',
  resourceType: 'SECURITY_GROUP',
  resourceIdentifier: GROUP,
  region: REGION,
  config: { protocol: 'tcp', port: 443 },
  ...overrides,
});

const rule = { cidr: '203.0.113.7/32', description: 'EntryGuard session 3f2a' };

let fake: AwsFakeServer;
let adapter: AwsSecurityGroupAdapter;
const outcomes: ProviderOutcome[] = [];

function adapterWith(options: ProvidersOptions = {}): AwsSecurityGroupAdapter {
  const resolved = resolveProvidersOptions({
    awsEndpointUrl: fake.url,
    timeoutMs: 2000,
    throttleRetries: 2,
    retryBaseDelayMs: 5,
    ...options,
  });
  return recordOutcomes(new AwsSecurityGroupAdapter(resolved), outcomes);
}

/** Every failure must read as a sentence for a person: no secret, no XML, no stack. */
function expectCleanReason(outcome: ProviderOutcome): void {
  if (outcome.ok) return;
  for (const hidden of [SECRET, OTHER_SECRET, 'session-token-value-123']) expect(outcome.reason).not.toContain(hidden);
  expect(outcome.reason).not.toMatch(/<\/?[A-Za-z]+>|\n\s+at |RequestId/);
}

beforeEach(async () => {
  fake = await startAwsFakeServer({
    accounts: { [ACCESS_KEY_ID]: { secretAccessKey: SECRET, accountId: '111122223333' } },
    securityGroups: {
      [REGION]: [
        {
          groupId: GROUP,
          groupName: 'web-admin',
          ingress: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidr: '198.51.100.10/32', description: 'office' }],
        },
      ],
    },
  });
  adapter = adapterWith();
});

afterEach(async () => {
  await fake.close();
  expect(outcomes.length).toBeGreaterThan(0);
  outcomes.splice(0).forEach(expectCleanReason);
});

describe('verifyCredential (STS GetCallerIdentity)', () => {
  it('accepts valid keys and reports the account', async () => {
    const outcome = await adapter.verifyCredential(secret());
    expect(outcome).toEqual({ ok: true, detail: 'The keys work for AWS account 111122223333.' });
    expect(fake.state.requests).toEqual([
      { service: 'sts', action: 'GetCallerIdentity', region: 'us-east-1', accessKeyId: ACCESS_KEY_ID, status: 200, errorCode: undefined },
    ]);
  });

  it('reports a wrong secret as INVALID_CREDENTIALS after the fake refuses the signature', async () => {
    const outcome = await adapter.verifyCredential(secret({ secretAccessKey: OTHER_SECRET }));
    expect(outcome).toEqual({
      ok: false,
      kind: 'INVALID_CREDENTIALS',
      reason: 'AWS refused the keys: the secret access key does not match the access key id.',
    });
    expect(fake.state.requests.map((r) => [r.status, r.errorCode])).toEqual([[403, 'SignatureDoesNotMatch']]);
    expectCleanReason(outcome);
  });

  it('reports an unknown access key id as INVALID_CREDENTIALS', async () => {
    const outcome = await adapter.verifyCredential(secret({ accessKeyId: 'AKIAUNKNOWN000000000' }));
    expect(outcome).toEqual({ ok: false, kind: 'INVALID_CREDENTIALS', reason: 'AWS refused the keys: the access key id is not valid.' });
    expect(fake.state.requests[0].errorCode).toBe('InvalidClientTokenId');
  });

  it('sends the session token of temporary keys, and a wrong one is refused', async () => {
    fake.state.addAccount('ASIATEMP000000000001', {
      secretAccessKey: SECRET,
      accountId: '444455556666',
      sessionToken: 'session-token-value-123',
    });
    const good = await adapter.verifyCredential(secret({ accessKeyId: 'ASIATEMP000000000001', sessionToken: 'session-token-value-123' }));
    expect(good).toEqual({ ok: true, detail: 'The keys work for AWS account 444455556666.' });
    const bad = await adapter.verifyCredential(secret({ accessKeyId: 'ASIATEMP000000000001', sessionToken: 'stale-token-000000' }));
    expect(bad).toMatchObject({ ok: false, kind: 'INVALID_CREDENTIALS' });
    expectCleanReason(bad);
  });

  it('maps STS AccessDenied to ACCESS_DENIED without retrying', async () => {
    fake.state.addAccount(ACCESS_KEY_ID, {
      secretAccessKey: SECRET,
      accountId: '111122223333',
      allowedActions: ['ec2:DescribeSecurityGroups'],
    });
    const outcome = await adapter.verifyCredential(secret());
    expect(outcome).toEqual({
      ok: false,
      kind: 'ACCESS_DENIED',
      reason: 'AWS denied GetCallerIdentity: these keys lack the permission sts:GetCallerIdentity.',
    });
    expect(fake.state.requestsFor('GetCallerIdentity')).toHaveLength(1);
  });

  it('retries STS throttling (HTTP 400 Throttling) and then succeeds', async () => {
    fake.state.throttleNext(1);
    const outcome = await adapter.verifyCredential(secret());
    expect(outcome.ok).toBe(true);
    expect(fake.state.requestsFor('GetCallerIdentity').map((r) => r.errorCode ?? r.status)).toEqual(['Throttling', 200]);
  });

  it('does not read keys from the environment when the secret is incomplete', async () => {
    const outcome = await adapter.verifyCredential({ provider: 'AWS', data: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: '' } });
    expect(outcome).toEqual({ ok: false, kind: 'INVALID_CREDENTIALS', reason: 'The credential is not a complete AWS access key.' });
    expect(fake.state.requests).toHaveLength(0);
  });
});

describe('verifyResource (EC2 DescribeSecurityGroups)', () => {
  it('finds the group in its region', async () => {
    const outcome = await adapter.verifyResource(secret(), target());
    expect(outcome).toEqual({ ok: true, detail: `Security group ${GROUP} (web-admin) exists in ${REGION}.` });
    expect(fake.state.requests).toMatchObject([{ service: 'ec2', action: 'DescribeSecurityGroups', region: REGION, status: 200 }]);
  });

  it('reports a missing group as NOT_FOUND', async () => {
    const outcome = await adapter.verifyResource(secret(), target({ resourceIdentifier: 'sg-00000000000000000' }));
    expect(outcome).toEqual({
      ok: false,
      kind: 'NOT_FOUND',
      reason: `Security group sg-00000000000000000 was not found in region ${REGION}.`,
    });
  });

  it('looks only in the target region', async () => {
    const outcome = await adapter.verifyResource(secret(), target({ region: 'us-west-2' }));
    expect(outcome).toEqual({ ok: false, kind: 'NOT_FOUND', reason: `Security group ${GROUP} was not found in region us-west-2.` });
    expect(fake.state.requests[0].region).toBe('us-west-2');
  });

  it('reports a malformed group id as NOT_FOUND', async () => {
    const outcome = await adapter.verifyResource(secret(), target({ resourceIdentifier: 'web-admin' }));
    expect(outcome).toEqual({ ok: false, kind: 'NOT_FOUND', reason: '"web-admin" is not a valid security group id (expected sg-…).' });
  });

  it('reports EC2 refusing the signature as INVALID_CREDENTIALS', async () => {
    const outcome = await adapter.verifyResource(secret({ secretAccessKey: OTHER_SECRET }), target());
    expect(outcome).toMatchObject({ ok: false, kind: 'INVALID_CREDENTIALS' });
    const unknown = await adapter.verifyResource(secret({ accessKeyId: 'AKIAUNKNOWN000000000' }), target());
    expect(unknown).toEqual({ ok: false, kind: 'INVALID_CREDENTIALS', reason: 'AWS refused the keys: they could not be validated.' });
    expect(fake.state.requests.map((r) => r.errorCode)).toEqual(['SignatureDoesNotMatch', 'AuthFailure']);
    expectCleanReason(outcome);
  });

  it('reports a missing permission as ACCESS_DENIED and does not retry it', async () => {
    fake.state.addAccount(ACCESS_KEY_ID, { secretAccessKey: SECRET, accountId: '111122223333', allowedActions: ['GetCallerIdentity'] });
    const outcome = await adapter.verifyResource(secret(), target());
    expect(outcome).toEqual({
      ok: false,
      kind: 'ACCESS_DENIED',
      reason: 'AWS denied DescribeSecurityGroups: these keys lack the permission ec2:DescribeSecurityGroups.',
    });
    expect(fake.state.requestsFor('DescribeSecurityGroups')).toEqual([
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

  it('refuses a resource without a valid region before calling AWS', async () => {
    const outcome = await adapter.verifyResource(secret(), target({ region: null }));
    expect(outcome).toEqual({ ok: false, kind: 'PROVIDER_ERROR', reason: 'An AWS security group needs a valid region; "" is not one.' });
    expect(fake.state.requests).toHaveLength(0);
  });
});

describe('authorizeIngress / revokeIngress', () => {
  it('adds exactly the configured rule with its description', async () => {
    const outcome = await adapter.authorizeIngress(secret(), target(), rule);
    expect(outcome).toEqual({ ok: true, detail: `203.0.113.7/32 may now reach ${GROUP}.` });
    expect(fake.state.ingress(REGION, GROUP)).toEqual([
      { ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidr: '198.51.100.10/32', description: 'office' },
      { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidr: '203.0.113.7/32', description: 'EntryGuard session 3f2a' },
    ]);
  });

  it('treats a duplicate rule as success and the group keeps one copy', async () => {
    expect((await adapter.authorizeIngress(secret(), target(), rule)).ok).toBe(true);
    const again = await adapter.authorizeIngress(secret(), target(), rule);
    expect(again).toEqual({ ok: true, detail: `203.0.113.7/32 may now reach ${GROUP}.` });
    expect(fake.state.requestsFor('AuthorizeSecurityGroupIngress').map((r) => r.errorCode ?? r.status)).toEqual([
      200,
      'InvalidPermission.Duplicate',
    ]);
    expect(fake.state.ingress(REGION, GROUP).filter((r) => r.cidr === '203.0.113.7/32')).toHaveLength(1);
  });

  it('adds the missing ports when some of several ports already exist', async () => {
    await adapter.authorizeIngress(secret(), target({ config: { protocol: 'tcp', port: 443 } }), rule);
    const outcome = await adapter.authorizeIngress(secret(), target({ config: { protocol: 'tcp', ports: [8443, 443, 80] } }), rule);
    expect(outcome.ok).toBe(true);
    const ports = fake.state
      .ingress(REGION, GROUP)
      .filter((r) => r.cidr === '203.0.113.7/32')
      .map((r) => r.fromPort);
    expect(ports.sort((a, b) => a! - b!)).toEqual([80, 443, 8443]);
  });

  it('opens all traffic as IpProtocol -1 and icmp as -1/-1', async () => {
    await adapter.authorizeIngress(secret(), target({ config: { protocol: 'all' } }), rule);
    await adapter.authorizeIngress(secret(), target({ config: { protocol: 'icmp' } }), rule);
    expect(fake.state.ingress(REGION, GROUP).slice(1)).toEqual([
      { ipProtocol: '-1', cidr: '203.0.113.7/32', description: 'EntryGuard session 3f2a' },
      { ipProtocol: 'icmp', fromPort: -1, toPort: -1, cidr: '203.0.113.7/32', description: 'EntryGuard session 3f2a' },
    ]);
  });

  it('handles an IPv6 /128 through Ipv6Ranges, whatever its spelling', async () => {
    const v6 = { cidr: '2001:DB8:0:0:0:0:0:42/128', description: 'EntryGuard v6' };
    expect((await adapter.authorizeIngress(secret(), target({ config: { protocol: 'udp', port: 51820 } }), v6)).ok).toBe(true);
    expect(fake.state.ingress(REGION, GROUP)[1]).toEqual({
      ipProtocol: 'udp',
      fromPort: 51820,
      toPort: 51820,
      cidr: '2001:db8::42/128',
      description: 'EntryGuard v6',
    });
    expect(
      (
        await adapter.revokeIngress(secret(), target({ config: { protocol: 'udp', port: 51820 } }), {
          cidr: '2001:db8::42/128',
          description: '',
        })
      ).ok,
    ).toBe(true);
    expect(fake.state.ingress(REGION, GROUP).map((r) => r.cidr)).toEqual(['198.51.100.10/32']);
  });

  it('makes a description AWS would reject acceptable instead of failing the session', async () => {
    const outcome = await adapter.authorizeIngress(secret(), target(), { cidr: rule.cidr, description: 'Zoë’s laptop <home>' });
    expect(outcome.ok).toBe(true);
    expect(fake.state.ingress(REGION, GROUP)[1].description).toBe('Zo--s laptop -home-');
  });

  it('refuses anything wider than one address, without calling AWS', async () => {
    const outcome = await adapter.authorizeIngress(secret(), target(), { cidr: '0.0.0.0/0', description: 'x' });
    expect(outcome).toEqual({
      ok: false,
      kind: 'UNSAFE',
      reason: 'Only a single address (/32 or /128) can be opened, and "0.0.0.0/0" is not one.',
    });
    expect(fake.state.requests).toHaveLength(0);
  });

  it('refuses a config without ports for tcp, without calling AWS', async () => {
    const outcome = await adapter.authorizeIngress(secret(), target({ config: { protocol: 'tcp' } }), rule);
    expect(outcome).toEqual({
      ok: false,
      kind: 'PROVIDER_ERROR',
      reason: 'The resource config for tcp needs a port (or ports) between 0 and 65535.',
    });
    expect(fake.state.requests).toHaveLength(0);
  });

  it('revokes only the given rule and leaves the others', async () => {
    await adapter.authorizeIngress(secret(), target(), rule);
    const outcome = await adapter.revokeIngress(secret(), target(), rule);
    expect(outcome).toEqual({ ok: true, detail: `203.0.113.7/32 no longer reaches ${GROUP}.` });
    expect(fake.state.ingress(REGION, GROUP)).toEqual([
      { ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidr: '198.51.100.10/32', description: 'office' },
    ]);
  });

  it.each(['error', 'unknown', 'silent'] as const)('treats revoking an absent rule as success (AWS answering %s)', async (behaviour) => {
    fake.state.revokeAbsentBehaviour = behaviour;
    const outcome = await adapter.revokeIngress(secret(), target(), rule);
    expect(outcome.ok).toBe(true);
    const expectedCalls = {
      error: [['RevokeSecurityGroupIngress', 'InvalidPermission.NotFound']],
      unknown: [['RevokeSecurityGroupIngress', 200]],
      // Return=false with no explanation: the adapter checks the group before calling it done.
      silent: [
        ['RevokeSecurityGroupIngress', 200],
        ['DescribeSecurityGroups', 200],
      ],
    }[behaviour];
    expect(fake.state.requests.map((r) => [r.action, r.errorCode ?? r.status])).toEqual(expectedCalls);
    expect(fake.state.ingress(REGION, GROUP)).toHaveLength(1);
  });

  it('retries throttling and then succeeds', async () => {
    fake.state.throttleNext(2);
    const outcome = await adapter.authorizeIngress(secret(), target(), rule);
    expect(outcome.ok).toBe(true);
    expect(fake.state.requestsFor('AuthorizeSecurityGroupIngress').map((r) => r.errorCode ?? r.status)).toEqual([
      'RequestLimitExceeded',
      'RequestLimitExceeded',
      200,
    ]);
    expect(fake.state.ingress(REGION, GROUP)).toHaveLength(2);
  });

  it('gives up with THROTTLED after the configured number of attempts', async () => {
    fake.state.throttleNext(100);
    const outcome = await adapterWith({ throttleRetries: 3 }).revokeIngress(secret(), target(), rule);
    expect(outcome).toEqual({
      ok: false,
      kind: 'THROTTLED',
      reason: 'AWS kept throttling requests after 4 attempt(s); try again shortly.',
    });
    expect(fake.state.requestsFor('RevokeSecurityGroupIngress')).toHaveLength(4);
  });

  it('ends a call that exceeds the timeout with TIMEOUT', async () => {
    fake.state.delayMs = 1500;
    const started = Date.now();
    const outcome = await adapterWith({ timeoutMs: 200 }).authorizeIngress(secret(), target(), rule);
    expect(outcome).toEqual({ ok: false, kind: 'TIMEOUT', reason: 'AWS did not answer within 200 ms.' });
    expect(Date.now() - started).toBeLessThan(1200);
  });

  it('reports a refused connection as UNREACHABLE', async () => {
    const closedPort = await freePort();
    const outcome = await adapterWith({ awsEndpointUrl: `http://127.0.0.1:${closedPort}` }).verifyResource(secret(), target());
    expect(outcome).toEqual({
      ok: false,
      kind: 'UNREACHABLE',
      reason: 'Could not reach the AWS EC2 endpoint: the connection was refused.',
    });
  });
});

/** A port that was free a moment ago, so nothing listens there. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
