import { Injectable } from '@nestjs/common';
import type { MfaSecretBinding, MfaSecretSealer, SealedMfaSecret } from '@app/auth';
import { CredentialCipher, SecretBinding } from '../credentials/credential-cipher';

/**
 * TOTP secrets sealed with the credential keyring (AES-256-GCM, CREDENTIAL_ENCRYPTION_KEYS, §11),
 * so `keys:rewrap` moves them with the credentials. The binding's "credential id" is
 * `mfa-totp:<slot>:<user id>`, which no credential id (a UUID) can equal: a TOTP secret never opens
 * as a credential or for another user, and a pending one never opens as the confirmed one.
 */
@Injectable()
export class MfaSecretSealerAdapter implements MfaSecretSealer {
  constructor(private readonly cipher: CredentialCipher) {}

  seal(secret: string, binding: MfaSecretBinding): SealedMfaSecret {
    return this.cipher.encrypt(secret, cipherBinding(binding));
  }

  open(sealed: SealedMfaSecret, binding: MfaSecretBinding): string {
    const secret = this.cipher.decrypt<unknown>(sealed, cipherBinding(binding));
    if (typeof secret !== 'string') {
      throw new Error('not a sealed TOTP secret');
    }
    return secret;
  }
}

export function cipherBinding(binding: MfaSecretBinding): SecretBinding {
  return { organizationId: binding.organizationId, credentialId: `mfa-totp:${binding.slot}:${binding.userId}` };
}
