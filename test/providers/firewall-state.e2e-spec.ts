import type { ResourceTarget } from '@app/providers';
import { ApisixFakeState } from '../fakes/apisix-fake-server';
import { AwsFakeState } from '../fakes/aws-fake.state';
import {
  apisixFirewallState,
  awsFirewallState,
  diffFirewallState,
  expectedFirewallState,
  firewallKeys,
  firewallState,
  plainFirewallState,
} from '../fakes/firewall-state';

// The helper behind the engine's invariant: what the fakes hold vs what live holders need.
const R = 'eu-central-1';
const SG = 'sg-0123456789abcdef0';
const aws = () =>
  new AwsFakeState({
    securityGroups: {
      [R]: [
        {
          groupId: SG,
          ingress: [
            { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidr: '203.0.113.7/32', description: 'EntryGuard' },
            { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidr: '2001:DB8:0::7/128' },
            { ipProtocol: 'tcp', fromPort: 8443, toPort: 8443, cidr: '203.0.113.7/32' },
            { ipProtocol: 'tcp', fromPort: 1000, toPort: 2000, cidr: '10.0.0.0/8' },
            { ipProtocol: 'icmp', fromPort: -1, toPort: -1, cidr: '192.0.2.1/32' },
            { ipProtocol: '-1', cidr: '192.0.2.2/32' },
          ],
        },
        { groupId: 'sg-0000000000000e0e0' },
      ],
    },
  });
const apisix = () =>
  new ApisixFakeState({
    routes: {
      web: { uri: '/w', plugins: { 'ip-restriction': { whitelist: ['203.0.113.7', '255.255.255.255/32', '2001:db8::7/128'] } } },
      closed: { uri: '/c', plugins: { 'ip-restriction': { whitelist: ['255.255.255.255'] } } },
      open: { uri: '/o' },
    },
  });
const target = (config: Record<string, unknown>, id = SG): ResourceTarget => ({
  provider: 'AWS',
  resourceType: 'SECURITY_GROUP',
  resourceIdentifier: id,
  region: R,
  config,
});
const route = (id: string): ResourceTarget => ({
  provider: 'APISIX',
  resourceType: 'ROUTE',
  resourceIdentifier: id,
  region: null,
  config: {},
});

describe('firewall state of the fakes', () => {
  it('AWS: one key per group, protocol and port, canonical addresses; empty groups have no key', () => {
    expect(plainFirewallState(awsFirewallState(aws()))).toEqual({
      [`aws:${R}:${SG}:all`]: ['192.0.2.2/32'],
      [`aws:${R}:${SG}:icmp:-1`]: ['192.0.2.1/32'],
      [`aws:${R}:${SG}:tcp:1000-2000`]: ['10.0.0.0/8'],
      [`aws:${R}:${SG}:tcp:443`]: ['2001:db8::7/128', '203.0.113.7/32'],
      [`aws:${R}:${SG}:tcp:8443`]: ['203.0.113.7/32'],
    });
  });

  it('APISIX: one key per route, the placeholder left out, a closed or open route has no key', () => {
    expect(plainFirewallState(apisixFirewallState(apisix()))).toEqual({ 'apisix:web': ['2001:db8::7/128', '203.0.113.7/32'] });
  });

  it('reads a snapshot (the JSON of GET /state) exactly as the live state', () => {
    const [a, b] = [aws(), apisix()];
    const live = firewallState({ aws: a, apisix: b });
    const fromJson = firewallState({ aws: JSON.parse(JSON.stringify(a.snapshot())), apisix: JSON.parse(JSON.stringify(b.snapshot())) });
    expect(plainFirewallState(fromJson)).toEqual(plainFirewallState(live));
  });

  it('names the keys of a resource the way the adapters write its rules', () => {
    expect(firewallKeys(target({ protocol: 'tcp', ports: [8443, 443, 443] }))).toEqual([
      `aws:${R}:${SG}:tcp:8443`,
      `aws:${R}:${SG}:tcp:443`,
    ]);
    expect(firewallKeys(target({ protocol: 'udp', port: 51820 }))).toEqual([`aws:${R}:${SG}:udp:51820`]);
    expect(firewallKeys(target({ protocol: 'icmp' }))).toEqual([`aws:${R}:${SG}:icmp:-1`]);
    expect(firewallKeys(target({ protocol: 'all' }))).toEqual([`aws:${R}:${SG}:all`]);
    expect(firewallKeys(route('web'))).toEqual(['apisix:web']);
  });

  it('diffs what the fakes hold against what holders need (plus a baseline), both ways', () => {
    const baseline = awsFirewallState(
      new AwsFakeState({
        securityGroups: { [R]: [{ groupId: SG, ingress: [{ ipProtocol: 'tcp', fromPort: 1000, toPort: 2000, cidr: '10.0.0.0/8' }] }] },
      }),
    );
    const expected = expectedFirewallState(
      [
        { target: target({ protocol: 'tcp', ports: [443, 8443] }), cidrs: ['203.0.113.7', '2001:db8::7', '198.51.100.9/32'] },
        { target: route('web'), cidrs: ['203.0.113.7/32', '2001:DB8::7'] },
      ],
      baseline,
    );
    const diff = diffFirewallState(firewallState({ aws: aws(), apisix: apisix() }), expected);
    expect(diff).toEqual({
      missing: [
        `aws:${R}:${SG}:tcp:443 198.51.100.9/32`,
        `aws:${R}:${SG}:tcp:8443 198.51.100.9/32`,
        `aws:${R}:${SG}:tcp:8443 2001:db8::7/128`,
      ],
      extra: [`aws:${R}:${SG}:all 192.0.2.2/32`, `aws:${R}:${SG}:icmp:-1 192.0.2.1/32`],
    });
  });
});
