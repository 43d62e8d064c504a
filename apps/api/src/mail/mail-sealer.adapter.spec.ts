import { randomUUID } from 'node:crypto';
import { CredentialCipher, parseKeyring } from '../credentials/credential-cipher';
import { MailSealerAdapter } from './mail-sealer.adapter';

const KEY_1 = `1:${Buffer.alloc(32, 1).toString('base64')}`;
const KEY_2 = `2:${Buffer.alloc(32, 2).toString('base64')}`;

describe('MailSealerAdapter', () => {
  const sealer = new MailSealerAdapter(new CredentialCipher(parseKeyring(KEY_1)));
  const text = 'Set your password: http://localhost:3000/set-password?token=secret-token-123';

  it('seals to something that does not contain the text, and opens it again for the same job', () => {
    const job = randomUUID();
    const sealed = sealer.seal(text, job);
    expect(sealed).not.toContain('secret-token-123');
    expect(Buffer.from(sealed.split('.')[4], 'base64').toString('utf8')).not.toContain('secret-token-123');
    expect(sealer.open(sealed, job)).toBe(text);
  });

  it('does not open for another job id (copied onto another row), nor when tampered with', () => {
    const sealed = sealer.seal(text, randomUUID());
    expect(() => sealer.open(sealed, randomUUID())).toThrow();
    expect(() => sealer.open(`${sealed}x`, randomUUID())).toThrow();
    expect(() => sealer.open('v1.1.x.y', randomUUID())).toThrow();
  });

  it('opens mails sealed with an older key while that key is still in the keyring', () => {
    const job = randomUUID();
    const sealed = sealer.seal(text, job);
    const rotated = new MailSealerAdapter(new CredentialCipher(parseKeyring(`${KEY_1},${KEY_2}`)));
    expect(rotated.open(sealed, job)).toBe(text);
    expect(rotated.seal(text, job).split('.')[1]).toBe('2');
  });
});
