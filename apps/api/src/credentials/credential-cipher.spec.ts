import { randomUUID } from 'node:crypto';
import { CredentialCipher, parseKeyring } from './credential-cipher';

const k1 = Buffer.alloc(32, 1).toString('base64');
const k2 = Buffer.alloc(32, 2).toString('base64');

describe('CredentialCipher', () => {
  const binding = { organizationId: randomUUID(), credentialId: randomUUID() };
  const secret = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'very-secret-value' };

  it('round-trips, with a fresh IV each time and no plaintext in the ciphertext', () => {
    const cipher = new CredentialCipher(parseKeyring(`1:${k1}`));
    const a = cipher.encrypt(secret, binding);
    const b = cipher.encrypt(secret, binding);
    expect(a.iv.length).toBe(12);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.toString('latin1')).not.toContain('very-secret-value');
    expect(cipher.decrypt(a, binding)).toEqual(secret);
  });

  it('refuses a ciphertext moved to another credential or organization', () => {
    const cipher = new CredentialCipher(parseKeyring(`1:${k1}`));
    const encrypted = cipher.encrypt(secret, binding);
    expect(() => cipher.decrypt(encrypted, { ...binding, credentialId: randomUUID() })).toThrow();
    expect(() => cipher.decrypt(encrypted, { ...binding, organizationId: randomUUID() })).toThrow();
  });

  it('refuses a tampered ciphertext or a relabelled key version', () => {
    const cipher = new CredentialCipher(parseKeyring(`1:${k1},2:${k2}`));
    const encrypted = cipher.encrypt(secret, binding);
    const tampered = { ...encrypted, ciphertext: Buffer.from(encrypted.ciphertext) };
    tampered.ciphertext[0] ^= 1;
    expect(() => cipher.decrypt(tampered, binding)).toThrow();
    expect(() => cipher.decrypt({ ...encrypted, keyVersion: 1 }, binding)).toThrow();
  });

  it('encrypts with the highest version and still decrypts older ones', () => {
    const old = new CredentialCipher(parseKeyring(`1:${k1}`)).encrypt(secret, binding);
    const rotated = new CredentialCipher(parseKeyring(`2:${k2},1:${k1}`));
    expect(rotated.activeVersion).toBe(2);
    expect(rotated.decrypt(old, binding)).toEqual(secret);
    expect(rotated.encrypt(secret, binding).keyVersion).toBe(2);
  });

  it.each(['', '1:short', 'x:abc', `1:${k1},1:${k2}`, `0:${k1}`])('rejects the keyring %p', (text) => {
    expect(() => parseKeyring(text)).toThrow();
  });
});
