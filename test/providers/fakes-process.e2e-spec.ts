import { spawn } from 'node:child_process';
import {
  ApisixRouteAdapter,
  AwsSecurityGroupAdapter,
  resolveProvidersOptions,
  type CredentialSecret,
  type ResourceTarget,
} from '@app/providers';
import { FakesProcess, fakesProcessCommand, type FakesSeed } from '../fakes/fakes-process.client';
import { diffFirewallState, expectedFirewallState, firewallState, plainFirewallState } from '../fakes/firewall-state';

// The fakes as a process of their own: adapters call it over loopback, the test reads and steers it over its control endpoint.
const KEY = 'AKIAPROCESS000000001';
const SECRET_KEY = 'process-fake-secret-0000000001';
const ADMIN_KEY = 'process-fake-admin-key-0001';
const REGION = 'eu-west-1';
const GROUP = 'sg-0000000000000b0b0';
const SEED: FakesSeed = {
  aws: {
    accounts: { [KEY]: { secretAccessKey: SECRET_KEY, accountId: '123456789012' } },
    securityGroups: { [REGION]: [{ groupId: GROUP, ingress: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidr: '198.51.100.1/32' }] }] },
    ruleLimit: 10,
  },
  apisix: { adminKey: ADMIN_KEY, routes: { web: { uri: '/web/*', plugins: { 'ip-restriction': { whitelist: ['255.255.255.255/32'] } } } } },
};

let fakes: FakesProcess;
let aws: AwsSecurityGroupAdapter;
let apisix: ApisixRouteAdapter;
const awsSecret: CredentialSecret = { provider: 'AWS', data: { accessKeyId: KEY, secretAccessKey: SECRET_KEY } };
const apisixSecret = (): CredentialSecret => ({ provider: 'APISIX', data: { adminUrl: fakes.apisix, adminKey: ADMIN_KEY } });
const group: ResourceTarget = {
  provider: 'AWS',
  resourceType: 'SECURITY_GROUP',
  resourceIdentifier: GROUP,
  region: REGION,
  config: { protocol: 'tcp', ports: [443, 8443] },
};
const web: ResourceTarget = { provider: 'APISIX', resourceType: 'ROUTE', resourceIdentifier: 'web', region: null, config: {} };
const rules = (...cidrs: string[]) => cidrs.map((cidr) => ({ cidr, description: 'EntryGuard session p' }));

beforeAll(async () => {
  fakes = await FakesProcess.start(SEED);
  const options = resolveProvidersOptions({ awsEndpointUrl: fakes.aws, timeoutMs: 2000, allowedNetworks: ['127.0.0.0/8'] });
  aws = new AwsSecurityGroupAdapter(options);
  apisix = new ApisixRouteAdapter(options);
});
afterAll(() => fakes?.stop());
beforeEach(() => fakes.resetCounters());

describe('the standalone fakes process', () => {
  it('prints one ready line with loopback URLs, and serves both fakes from the seed', async () => {
    expect(fakes.ready).toEqual({
      ready: true,
      pid: fakes.child.pid,
      aws: expect.any(String),
      apisix: expect.any(String),
      control: expect.any(String),
    });
    for (const url of [fakes.aws, fakes.apisix, fakes.control]) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await aws.verifyResource(awsSecret, group)).ok).toBe(true);
    expect(await apisix.listRules(apisixSecret(), web)).toEqual({ ok: true, rules: [] });
  });

  it('keeps the real state: GET /state shows what the adapters wrote, and the invariant helpers read it', async () => {
    expect((await aws.applyRules(awsSecret, group, rules('203.0.113.5/32', '2001:db8::5/128'))).ok).toBe(true);
    expect((await apisix.applyRules(apisixSecret(), web, rules('203.0.113.5/32'))).ok).toBe(true);
    const state = await fakes.state();
    expect(state.aws.groups[REGION][GROUP].ingress).toHaveLength(5);
    expect(state.apisix.routes.web).toMatchObject({ plugins: { 'ip-restriction': { whitelist: ['203.0.113.5/32'] } } });
    expect(state.aws.counters).toEqual({ AuthorizeSecurityGroupIngress: 1 });
    expect(state.apisix.counters).toEqual({ GET: 1, PATCH: 1 });

    const actual = firewallState({ aws: state.aws.groups, apisix: state.apisix.routes });
    // The seeded office rule is the baseline: EntryGuard leaves it alone.
    const baseline = new Map([[`aws:${REGION}:${GROUP}:tcp:22`, new Set(['198.51.100.1/32'])]]);
    const expected = expectedFirewallState(
      [
        { target: group, cidrs: ['203.0.113.5', '2001:DB8::5'] },
        { target: web, cidrs: ['203.0.113.5/32'] },
      ],
      baseline,
    );
    expect(diffFirewallState(actual, expected)).toEqual({ missing: [], extra: [] });
    expect(plainFirewallState(actual)).toEqual({
      [`aws:${REGION}:${GROUP}:tcp:22`]: ['198.51.100.1/32'],
      [`aws:${REGION}:${GROUP}:tcp:443`]: ['2001:db8::5/128', '203.0.113.5/32'],
      [`aws:${REGION}:${GROUP}:tcp:8443`]: ['2001:db8::5/128', '203.0.113.5/32'],
      'apisix:web': ['203.0.113.5/32'],
    });
    await aws.removeRules(awsSecret, group, ['203.0.113.5/32', '2001:db8::5/128']);
    await apisix.removeRules(apisixSecret(), web, ['203.0.113.5/32']);
  });

  it('flips faults over HTTP: throttling, slow answers, down, and back', async () => {
    await fakes.awsControls({ throttle: { count: 1, actions: ['DescribeSecurityGroups'] } });
    expect(await aws.listRules(awsSecret, group)).toMatchObject({ ok: false, kind: 'THROTTLED' });
    expect((await aws.listRules(awsSecret, group)).ok).toBe(true);

    await fakes.apisixControls({ throttle: { forMs: 60_000 }, throttleStatus: 503 });
    expect(await apisix.listRules(apisixSecret(), web)).toMatchObject({ ok: false, kind: 'UNREACHABLE' });
    await fakes.apisixControls({ throttle: null });

    await fakes.awsControls({ delayMs: 500 });
    const slow = new AwsSecurityGroupAdapter(resolveProvidersOptions({ awsEndpointUrl: fakes.aws, timeoutMs: 100 }));
    expect(await slow.listRules(awsSecret, group)).toEqual({ ok: false, kind: 'TIMEOUT', reason: 'AWS did not answer within 100 ms.' });
    await fakes.awsControls({ delayMs: 0, down: 'refuse' });
    expect(await aws.applyRules(awsSecret, group, rules('192.0.2.1/32'))).toMatchObject({ ok: false, kind: 'UNREACHABLE' });
    await fakes.awsControls({ down: 'unavailable' });
    expect(await aws.applyRules(awsSecret, group, rules('192.0.2.1/32'))).toMatchObject({ ok: false, kind: 'UNREACHABLE' });
    const state = await fakes.awsControls({ down: false });
    expect(state.faults).toEqual({ delayMs: 0, down: false, throttled: false });
    expect((await aws.applyRules(awsSecret, group, rules('192.0.2.1/32'))).ok).toBe(true);
    expect(await fakes.counters()).toEqual({
      aws: { AuthorizeSecurityGroupIngress: 2, DescribeSecurityGroups: 3 },
      apisix: { GET: 1 },
    });
    await aws.removeRules(awsSecret, group, ['192.0.2.1/32']);
  });

  it('changes state behind the adapters back: a rule deleted, a group and a route added, the rule limit lowered', async () => {
    await aws.applyRules(awsSecret, group, rules('192.0.2.7/32'));
    expect(await fakes.removeIngress(REGION, GROUP, '192.0.2.7/32')).toBe(2);
    expect(await aws.listRules(awsSecret, group)).toEqual({ ok: true, rules: [] });

    await fakes.putSecurityGroup(REGION, { groupId: 'sg-0000000000000c0c0', ruleLimit: 1 });
    const small = { ...group, resourceIdentifier: 'sg-0000000000000c0c0' };
    expect(await aws.applyRules(awsSecret, small, rules('192.0.2.8/32'))).toMatchObject({ ok: false, kind: 'LIMIT_EXCEEDED' });

    await fakes.putRoute('api', { uri: '/api/*', plugins: { 'ip-restriction': { whitelist: ['192.0.2.9'] } } });
    expect(await apisix.listRules(apisixSecret(), { ...web, resourceIdentifier: 'api' })).toEqual({
      ok: true,
      rules: [{ cidr: '192.0.2.9/32', description: null }],
    });

    await fakes.putAccount('AKIAPROCESS000000002', { secretAccessKey: 'rotated-secret-00000000002', accountId: '123456789012' });
    const rotated: CredentialSecret = {
      provider: 'AWS',
      data: { accessKeyId: 'AKIAPROCESS000000002', secretAccessKey: 'rotated-secret-00000000002' },
    };
    expect((await aws.verifyCredential(rotated)).ok).toBe(true);
  });

  it('answers 404 for an unknown control and 400 for a body that is not JSON', async () => {
    expect((await fetch(`${fakes.control}/nope`)).status).toBe(404);
    expect((await fetch(`${fakes.control}/aws/controls`, { method: 'POST', body: '{' })).status).toBe(400);
  });
});

describe('its lifecycle', () => {
  it('exits 0 on SIGTERM', async () => {
    const own = await FakesProcess.start({});
    const exit = new Promise<number | null>((resolve) => own.child.once('exit', (code) => resolve(code)));
    await own.stop();
    expect(await exit).toBe(0);
  });

  it('with --exit-with-parent, exits when its stdin closes, after printing the ready line', async () => {
    const { command, args, env } = fakesProcessCommand();
    const child = spawn(command, args, { env: { ...process.env, ...env }, cwd: `${__dirname}/../..`, stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve) => child.stdout.on('data', () => output.includes('\n') && resolve()));
    expect(JSON.parse(output.split('\n')[0])).toMatchObject({ ready: true, pid: child.pid });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin.end();
    expect(await exit).toBe(0);
  });
});
