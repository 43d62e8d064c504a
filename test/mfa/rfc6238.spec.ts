import { TotpService } from '../../libs/auth/src/mfa/totp.service';
import { base32Decode, codeAt, hotp, totp } from './mfa-harness';

/**
 * The tests' own RFC 6238 implementation, proven with the RFC's appendix B vectors, and the
 * service's TOTP (otplib) held against it: same codes, and exactly one step of drift either way.
 */
describe('RFC 6238 in the tests, and the service against it', () => {
  // RFC 6238 appendix B: the seeds are the ASCII strings below; 8-digit codes.
  const SEEDS = {
    sha1: Buffer.from('12345678901234567890', 'ascii'),
    sha256: Buffer.from('12345678901234567890123456789012', 'ascii'),
    sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
  };
  const VECTORS: Array<[number, string, string, string]> = [
    // time, SHA-1, SHA-256, SHA-512
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];

  it.each(VECTORS)('matches appendix B at T=%i', (time, sha1, sha256, sha512) => {
    expect(totp(SEEDS.sha1, time, 8, 30, 'sha1')).toBe(sha1);
    expect(totp(SEEDS.sha256, time, 8, 30, 'sha256')).toBe(sha256);
    expect(totp(SEEDS.sha512, time, 8, 30, 'sha512')).toBe(sha512);
  });

  it('matches RFC 4226 appendix D (HOTP, the layer below)', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(expected.map((_code, counter) => hotp(SEEDS.sha1, counter))).toEqual(expected);
  });

  it('decodes Base32 (RFC 4648 section 10)', () => {
    expect(base32Decode('MZXW6YTBOI======').toString('ascii')).toBe('foobar');
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').toString('ascii')).toBe('12345678901234567890');
  });

  describe('the service (otplib) against this implementation', () => {
    const service = new TotpService();
    const at = (seconds: number) => jest.spyOn(service, 'nowSeconds').mockReturnValue(seconds);
    afterEach(() => jest.restoreAllMocks());

    it('makes 160-bit Base32 secrets, each new', () => {
      const secrets = Array.from({ length: 20 }, () => service.newSecret());
      for (const secret of secrets) {
        expect(secret).toMatch(/^[A-Z2-7]{32}$/);
        expect(base32Decode(secret)).toHaveLength(20);
      }
      expect(new Set(secrets).size).toBe(20);
    });

    it('accepts the code of the current step, and exactly one step either side, at both edges of a step', () => {
      const secret = service.newSecret();
      const step = 56_666_667;
      for (const second of [0, 29]) {
        at(step * 30 + second);
        const judged = [-2, -1, 0, 1, 2].map((delta) => service.matchingStep(secret, codeAt(secret, step + delta), null));
        expect({ second, judged }).toEqual({ second, judged: [undefined, step - 1, step, step + 1, undefined] });
      }
    });

    it('refuses a step at or before the last one accepted (a replay), and anything not six digits', () => {
      const secret = service.newSecret();
      const step = 56_666_667;
      at(step * 30 + 10);
      expect(service.matchingStep(secret, codeAt(secret, step), step)).toBeUndefined();
      expect(service.matchingStep(secret, codeAt(secret, step - 1), step - 1)).toBeUndefined();
      expect(service.matchingStep(secret, codeAt(secret, step), step - 1)).toBe(step);
      expect(service.matchingStep(secret, codeAt(secret, step + 1), step)).toBe(step + 1);
      // A last step beyond the window (the server's clock went back): nothing matches, nothing throws.
      expect(service.matchingStep(secret, codeAt(secret, step), step + 5)).toBeUndefined();
      for (const bad of ['', '12345', '1234567', 'abcdef', ` ${codeAt(secret, step)}`]) {
        expect(service.matchingStep(secret, bad, null)).toBeUndefined();
      }
    });

    it('writes the otpauth URL apps expect, and its QR code as a PNG', async () => {
      const secret = service.newSecret();
      const url = service.otpauthUrl(secret, 'ada@acme.example');
      const parsed = new URL(url);
      expect(parsed.protocol).toBe('otpauth:');
      expect(parsed.host).toBe('totp');
      expect(decodeURIComponent(parsed.pathname)).toBe('/EntryGuard:ada@acme.example');
      expect(parsed.searchParams.get('secret')).toBe(secret);
      expect(parsed.searchParams.get('issuer')).toBe('EntryGuard');
      const png = Buffer.from(await service.qrCodeBase64(url), 'base64');
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    });
  });
});
