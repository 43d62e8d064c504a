import { DEFAULT_SETTINGS } from '../settings/organization-settings.repository';
import { passwordProblems } from './password-policy';

describe('passwordProblems (§10)', () => {
  it('accepts a password that meets the default policy', () => {
    expect(passwordProblems('Correct horse 1', DEFAULT_SETTINGS, 'password')).toEqual([]);
  });

  it('names every broken rule under the request field', () => {
    expect(passwordProblems('short', DEFAULT_SETTINGS, 'newPassword')).toEqual([
      { field: 'newPassword', message: 'must be at least 8 characters long' },
      { field: 'newPassword', message: 'must contain an upper-case letter' },
      { field: 'newPassword', message: 'must contain a digit' },
    ]);
  });

  it('applies a stricter policy, and never allows fewer than 8 or more than 128 characters', () => {
    const strict = { ...DEFAULT_SETTINGS, passwordMinLength: 12, passwordRequireSpecialChar: true };
    expect(passwordProblems('Abcdefgh1', strict, 'password').map((p) => p.message)).toEqual([
      'must be at least 12 characters long',
      'must contain a special character',
    ]);
    const lax = {
      ...DEFAULT_SETTINGS,
      passwordMinLength: 1,
      passwordRequireUppercase: false,
      passwordRequireLowercase: false,
      passwordRequireDigit: false,
    };
    expect(passwordProblems('abc', lax, 'password').map((p) => p.message)).toEqual(['must be at least 8 characters long']);
    expect(passwordProblems(`Aa1${'x'.repeat(126)}`, DEFAULT_SETTINGS, 'password').map((p) => p.message)).toEqual([
      'must be at most 128 characters long',
    ]);
  });

  it('judges letters by Unicode and length by characters', () => {
    expect(passwordProblems('Ärger über 1 Ölfass', DEFAULT_SETTINGS, 'password')).toEqual([]);
    expect(passwordProblems('Aa1🚀🚀🚀🚀🚀', DEFAULT_SETTINGS, 'password')).toEqual([]);
    expect(passwordProblems('Aa1🚀🚀🚀', DEFAULT_SETTINGS, 'password').map((p) => p.message)).toEqual([
      'must be at least 8 characters long',
    ]);
  });
});
