import { OutboundAddressPolicy } from './outbound-address.policy';

// Only classifies text: nothing here opens a socket.
const policy = new OutboundAddressPolicy();

describe('OutboundAddressPolicy: which addresses a tenant-named endpoint may lead to (§18)', () => {
  it.each([
    ['0.0.0.0', 'this network'],
    ['0.1.2.3', 'this network'],
    ['10.0.0.1', 'private network'],
    ['10.255.255.255', 'private network'],
    ['100.64.0.1', 'shared address space (CGNAT)'],
    ['100.100.100.200', 'shared address space (CGNAT)'], // Alibaba Cloud metadata
    ['100.127.255.254', 'shared address space (CGNAT)'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['169.254.0.1', 'link-local (cloud metadata)'],
    ['172.16.0.1', 'private network'],
    ['172.31.255.255', 'private network'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.2.10', 'documentation'],
    ['192.88.99.1', 'deprecated 6to4 relay'],
    ['192.168.1.1', 'private network'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.7', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['168.63.129.16', 'cloud platform endpoint'],
  ])('refuses IPv4 %s (%s)', (address, reason) => {
    expect(policy.check(address)).toEqual({ allowed: false, reason });
  });

  it.each([
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['100::1', 'discard-only'],
    ['2001:2::1', 'benchmarking'],
    ['2001:10::1', 'deprecated ORCHID'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['5f00::1', 'segment routing'],
    ['fc00::1', 'unique local'],
    ['fd00:ec2::254', 'unique local'], // AWS metadata over IPv6
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fec0::1', 'deprecated site-local'],
    ['ff02::1', 'multicast'],
    ['4000::1', 'reserved'],
    ['::ffff:0:1', 'this network, embedded in an IPv6 address'],
  ])('refuses IPv6 %s (%s)', (address, reason) => {
    expect(policy.check(address)).toEqual({ allowed: false, reason });
  });

  // 169.254.169.254 is a9fe:a9fe; 10.0.0.1 is 0a00:0001; 127.0.0.1 is 7f00:0001.
  it.each([
    ['::ffff:169.254.169.254', 'IPv4-mapped, dotted'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped, hex'],
    ['::ffff:0:a9fe:a9fe', 'IPv4-translated (the review finding)'],
    ['::ffff:0:169.254.169.254', 'IPv4-translated, dotted'],
    ['64:ff9b::a9fe:a9fe', 'NAT64'],
    ['64:ff9b::169.254.169.254', 'NAT64, dotted'],
    ['2002:a9fe:a9fe::1', '6to4 (the review finding)'],
    ['2002:a00:1::', '6to4 of 10.0.0.1'],
    ['2002:7f00:1::1', '6to4 of loopback'],
    ['2001:0:a9fe:a9fe::1', 'Teredo, server address'],
    ['2001:0:4136:e378:8000:63bf:5601:5601', 'Teredo, client address stored inverted (169.254.169.254 -> 5601:5601)'],
    ['::a9fe:a9fe', 'deprecated IPv4-compatible'],
    ['::7f00:1', 'deprecated IPv4-compatible loopback'],
  ])('refuses %s (%s): the embedded IPv4 address decides', (address) => {
    const verdict = policy.check(address);
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.reason).toMatch(/embedded in an IPv6 address$/);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '52.94.236.248',
    '192.31.196.1',
    '2600:1f18::1',
    '2a00:1450:4001::200e',
    '::ffff:8.8.8.8',
    '2002:808:808::1',
    '64:ff9b::808:808',
  ])('allows the public unicast address %s', (address) => {
    expect(policy.check(address)).toEqual({ allowed: true });
  });

  it('refuses what is not an address', () => {
    expect(policy.check('not-an-ip')).toEqual({ allowed: false, reason: 'not an IP address' });
    expect(policy.check('')).toEqual({ allowed: false, reason: 'not an IP address' });
  });

  it('allows exactly the networks the operator lists, embedded forms included', () => {
    const selfHosted = new OutboundAddressPolicy(['127.0.0.0/8', '10.20.0.0/16', 'fd12::/16']);
    expect(selfHosted.check('127.0.0.1')).toEqual({ allowed: true });
    expect(selfHosted.check('::ffff:127.0.0.1')).toEqual({ allowed: true });
    expect(selfHosted.check('10.20.3.4')).toEqual({ allowed: true });
    expect(selfHosted.check('fd12::5')).toEqual({ allowed: true });
    expect(selfHosted.check('10.21.0.1')).toEqual({ allowed: false, reason: 'private network' });
    expect(selfHosted.check('169.254.169.254')).toEqual({ allowed: false, reason: 'link-local (cloud metadata)' });
    expect(selfHosted.check('::1')).toEqual({ allowed: false, reason: 'loopback' });
  });
});
