import { Injectable } from '@nestjs/common';
import { MailSealer } from '@app/mail';
import { CredentialCipher, EncryptedSecret, SecretBinding } from '../credentials/credential-cipher';

const FORMAT = 'v1';

/**
 * Queued mails sealed with the credential keyring (AES-256-GCM, CREDENTIAL_ENCRYPTION_KEYS), bound
 * to the job id. The binding's organization is the constant "mail", which no organization id (a
 * UUID) can equal: a sealed mail never opens as a credential, nor a credential as a mail. Old key
 * versions open until they leave the keyring; mails are short-lived, so `keys:rewrap` skips them.
 */
@Injectable()
export class MailSealerAdapter implements MailSealer {
  constructor(private readonly cipher: CredentialCipher) {}

  seal(plaintext: string, jobId: string): string {
    const secret = this.cipher.encrypt(plaintext, binding(jobId));
    return [FORMAT, String(secret.keyVersion), secret.iv, secret.authTag, secret.ciphertext]
      .map((part) => (Buffer.isBuffer(part) ? part.toString('base64') : part))
      .join('.');
  }

  open(sealed: string, jobId: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== FORMAT || !/^\d+$/.test(parts[1])) {
      throw new Error('not a sealed mail');
    }
    const secret: EncryptedSecret = {
      keyVersion: Number(parts[1]),
      iv: Buffer.from(parts[2], 'base64'),
      authTag: Buffer.from(parts[3], 'base64'),
      ciphertext: Buffer.from(parts[4], 'base64'),
    };
    const plaintext = this.cipher.decrypt<unknown>(secret, binding(jobId));
    if (typeof plaintext !== 'string') {
      throw new Error('not a sealed mail');
    }
    return plaintext;
  }
}

function binding(jobId: string): SecretBinding {
  return { organizationId: 'mail', credentialId: jobId };
}
