import fc from 'fast-check';

/** Generators for the session and static-rule routes (§13, §16), beside fuzz-arbitraries.ts. */
type Json = Record<string, unknown>;

/** Addresses a session or a static rule might be asked for: valid, reserved, malformed, and look-alikes (§13, §16). */
export const addressArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '203.0.113.9',
    '10.1.2.3',
    '0.0.0.0',
    '127.0.0.1',
    '255.255.255.255',
    '224.0.0.1',
    '169.254.169.254',
    '01.02.03.04',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '0x7f.0.0.1',
    '2130706433',
    '1.2.3.4/32',
    ' 1.2.3.4',
    '\u0661.\u0662.\u0663.\u0664',
    '2001:db8::9',
    '::',
    '::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:203.0.113.9',
    '[2001:db8::1]',
    '2001:db8:::1',
    '2001:0db8:0000:0000:0000:0000:0000:0001',
    '10.0.0.0/8',
    '10.0.0.5/24',
    '0.0.0.0/0',
    '::/0',
    '1.0.0.0/7',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/08',
    '10.0.0.0/ 8',
    '2001:db8::/32',
    '2001:db8::/31',
    '2001:db8::/129',
    '::ffff:10.0.0.0/104',
    '198.51.100.0/24',
  ),
  fc.ipV4(),
  fc.ipV4Extended(),
  fc.ipV6(),
  fc.tuple(fc.ipV4(), fc.integer({ min: -2, max: 40 })).map(([ip, bits]) => `${ip}/${bits}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: -2, max: 140 })).map(([ip, bits]) => `${ip}/${bits}`),
);

/** Idempotency-Key values (§13: any client string up to 200 characters), or none. */
export const idempotencyKeyArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('k1', 'k2', '', ' ', 'x'.repeat(200), 'x'.repeat(201), '\u00e9t\u00e9', 'a\tb') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 260 }) },
);

/** The valid bodies, with `field` set to each generated value (then mutated as ever by bodyArb). */
export function withField(valids: Json[], field: string, values: fc.Arbitrary<unknown>): fc.Arbitrary<Json> {
  return fc.tuple(fc.constantFrom(...valids), values).map(([valid, value]) => ({ ...valid, [field]: value }));
}
