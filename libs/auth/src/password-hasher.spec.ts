import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();
  beforeAll(async () => hasher.onModuleInit());

  it('verifies the password a hash was made from, and nothing else', async () => {
    const hash = await hasher.hash('correct horse battery');
    expect(await hasher.verify(hash, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(hash, 'wrong horse battery')).toBe(false);
  });

  it('never accepts anything without a stored hash, not even the dummy password it checks against', async () => {
    for (const missing of [undefined, null]) {
      expect(await hasher.verify(missing, 'entryguard-dummy-password')).toBe(false);
      expect(await hasher.verify(missing, 'anything')).toBe(false);
    }
  });
});
