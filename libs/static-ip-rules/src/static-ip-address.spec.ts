import { ValidationError } from '@app/common';
import { normalizeRuleAddress } from './static-ip-address';

function refusal(text: string): string {
  try {
    normalizeRuleAddress(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).details![0].message;
  }
  throw new Error(`${text} was accepted`);
}

describe('static rule addresses (§16)', () => {
  it.each([
    ['203.0.113.10', '203.0.113.10/32'],
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['2001:DB8::1', '2001:db8::1/128'],
    ['2001:db8:0:0::/48', '2001:db8::/48'],
    [' 198.51.100.7/32 ', '198.51.100.7/32'],
  ])('normalizes %s to %s', (input, expected) => {
    expect(normalizeRuleAddress(input)).toBe(expected);
  });

  it('names the network meant when host bits are set', () => {
    expect(refusal('10.0.0.5/24')).toBe('host bits are set: did you mean 10.0.0.0/24?');
    expect(refusal('2001:db8::1/64')).toBe('host bits are set: did you mean 2001:db8::/64?');
  });

  it.each(['0.0.0.0/0', '::/0', '10.0.0.0/7', '2001:db8::/31', '128.0.0.0/1'])(
    'refuses %s: it would open the firewall to the world',
    (input) => {
      expect(refusal(input)).toMatch(/prefix shorter than/);
    },
  );

  it.each(['127.0.0.1', '0.0.0.0', '224.0.0.1', '169.254.0.0/16', '::1', 'fe80::/64', '255.255.255.255'])(
    'refuses the special address %s',
    (input) => {
      expect(refusal(input)).toMatch(/is a (loopback|unspecified|multicast|linkLocal|broadcast) address/);
    },
  );

  it.each([
    '',
    'office',
    '10.0.0.256',
    '10.0.0.1/33',
    '10.0.0.1/24/1',
    '010.0.0.1',
    '10.1',
    '::ffff:10.0.0.1',
    '10.0.0.0/0x18',
    '1.2.3.4/ 24',
  ])('refuses the malformed %p', (input) => {
    expect(refusal(input)).toBeTruthy();
  });
});
