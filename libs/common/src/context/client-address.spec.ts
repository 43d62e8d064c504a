import { canonicalAddress, clientAddress } from './client-address';

describe('clientAddress (§7): an IP address or nothing', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
  ])('keeps %s as %s', (text, expected) => {
    expect(canonicalAddress(text)).toBe(expected);
  });

  it.each(["'; drop table x;--", 'unknown', '1.2.3', '0x7f.1', '127.1', '1.2.3.4.5', 'x'.repeat(70), '', '::1%eth0 extra'])(
    'refuses %j',
    (text) => {
      expect(canonicalAddress(text)).toBeUndefined();
    },
  );

  it("falls back to the connection's address when the forwarded one is not an address", () => {
    expect(clientAddress({ ip: "'; drop table x;--", socket: { remoteAddress: '::ffff:10.0.0.9' } } as never)).toBe('10.0.0.9');
    expect(clientAddress({ ip: 'a'.repeat(80), socket: { remoteAddress: undefined } } as never)).toBeUndefined();
  });
});
