import { randomUUID } from 'node:crypto';
import { ApiClient, expectError } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';
import { createUser, detailLines, PASSWORD, setPolicy, signIn } from './passwords-harness';

/**
 * The password policy (decisions §10) as each flow applies it: register with the defaults, the
 * others with the organization's own, every broken rule one detail under the request's field,
 * 8 to 128 characters always. (Reset and change-expired: forgot-and-reset and password-expiry.)
 */
describe('password policy', () => {
  let t: TestApp;
  let anonymous: ApiClient;
  beforeAll(async () => {
    t = await startTestApp();
    anonymous = new ApiClient(t.baseUrl);
  });
  afterAll(async () => t.close());

  const register = (password: unknown, extra: Record<string, unknown> = {}) =>
    anonymous.post('/auth/register', {
      organizationName: `Policy ${randomUUID().slice(0, 8)}`,
      email: `p-${randomUUID().slice(0, 8)}@example.test`,
      password,
      ...extra,
    });

  describe('register: the default policy (8+, upper, lower, digit; no special character needed)', () => {
    it.each([
      ['too short', 'Abcde1', ['password: must be at least 8 characters long']],
      ['no upper-case letter', 'abcdefgh1', ['password: must contain an upper-case letter']],
      ['no lower-case letter', 'ABCDEFGH1', ['password: must contain a lower-case letter']],
      ['no digit', 'Abcdefghi', ['password: must contain a digit']],
      ['over 128 characters', `Aa1${'x'.repeat(126)}`, ['password: must be at most 128 characters long']],
      [
        'every rule at once',
        '!!!',
        [
          'password: must be at least 8 characters long',
          'password: must contain a digit',
          'password: must contain a lower-case letter',
          'password: must contain an upper-case letter',
        ],
      ],
    ])('%s: 400 naming each broken rule under password, and nothing is created', async (_label, password, expected) => {
      const organizationName = `Refused ${randomUUID().slice(0, 8)}`;
      const refused = await register(password, { organizationName });
      expectError(refused, 400, 'VALIDATION_ERROR');
      expect(detailLines(refused)).toEqual(expected);
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM organizations WHERE name = $1`, [organizationName]);
      expect(rows[0].n).toBe(0);
    });

    it('reports the password with the other fields in one answer, and a non-string as not a string', async () => {
      const refused = await register('short', { email: 'not-an-email' });
      expect(detailLines(refused)).toEqual(
        expect.arrayContaining(['email: email must be an email', 'password: must be at least 8 characters long']),
      );
      const notString = await register(12345678);
      expect(detailLines(notString)).toEqual(['password: password must be a string']);
    });

    it('accepts exactly 8 and 128 characters, counts characters rather than UTF-16 units, and judges letters by Unicode', async () => {
      for (const password of ['Abcdef12', `Aa1${'x'.repeat(125)}`, `Aa1${'🚀'.repeat(125)}`, 'Ärger über 1 Ölfass']) {
        const answer = await register(password);
        expect({ password, status: answer.status }).toEqual({ password, status: 201 });
      }
      expect(detailLines(await register('Aa1🚀🚀🚀🚀'))).toEqual(['password: must be at least 8 characters long']);
    });
  });

  describe("change-password: the organization's policy, under newPassword", () => {
    let org: TestOrganization;
    let client: ApiClient;
    beforeAll(async () => {
      org = await registerOrganization(t, 'Org policy');
    });
    beforeEach(async () => {
      client = (await signIn(org, await createUser(t, org))).client;
    });
    const change = (newPassword: string) => client.post('/auth/change-password', { currentPassword: PASSWORD, newPassword });

    it.each([
      ['passwordMinLength 16', { passwordMinLength: 16 }, 'Fifteen chars 1', ['newPassword: must be at least 16 characters long']],
      ['a special character', { passwordRequireSpecialChar: true }, 'No special char 1', ['newPassword: must contain a special character']],
      ['no upper case needed', { passwordRequireUppercase: false }, 'lower case only 1', []],
      ['no lower case needed', { passwordRequireLowercase: false }, 'UPPER CASE ONLY 1', []],
      ['no digit needed', { passwordRequireDigit: false }, 'No digits at all', []],
      [
        'every rule off: still 8 characters',
        { passwordRequireUppercase: false, passwordRequireLowercase: false, passwordRequireDigit: false },
        '1234567',
        ['newPassword: must be at least 8 characters long'],
      ],
    ])('%s', async (_label, policy, newPassword, expected) => {
      await setPolicy(org, {
        passwordMinLength: 8,
        passwordRequireUppercase: true,
        passwordRequireLowercase: true,
        passwordRequireDigit: true,
        passwordRequireSpecialChar: false,
        ...policy,
      });
      const answer = await change(newPassword);
      if (expected.length === 0) {
        expect(answer.status).toBe(200);
      } else {
        expectError(answer, 400, 'VALIDATION_ERROR');
        expect(detailLines(answer)).toEqual(expected);
      }
    });

    it('never allows more than 128 characters, whatever the policy', async () => {
      await setPolicy(org, { passwordMinLength: 128 });
      const answer = await change(`Aa1${'x'.repeat(200)}`);
      expectError(answer, 400, 'VALIDATION_ERROR');
      expect(detailLines(answer)).toEqual(['newPassword: must be at most 128 characters long']);
      expect((await change(`Aa1${'x'.repeat(125)}`)).status).toBe(200);
    });
  });
});
