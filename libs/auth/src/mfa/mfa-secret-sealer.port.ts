/**
 * TOTP secrets are stored sealed with the credential keyring (§11, §4), which the app owns: this
 * library declares what it needs and the app binds an implementation (the credential cipher), so
 * `keys:rewrap` moves these secrets with the credentials.
 */
export interface SealedMfaSecret {
  ciphertext: Buffer;
  iv: Buffer;
  authTag: Buffer;
  keyVersion: number;
}

/**
 * What a sealed secret is bound to (the additional authenticated data): the user, its
 * organization, and which slot of user_mfa holds it. Copied onto another user's row, or from the
 * pending slot into the confirmed one, it no longer opens.
 */
export interface MfaSecretBinding {
  organizationId: string;
  userId: string;
  slot: 'active' | 'pending';
}

export interface MfaSecretSealer {
  seal(secret: string, binding: MfaSecretBinding): SealedMfaSecret;
  /** Throws when the secret was not sealed for this binding, or with a key no longer configured. */
  open(sealed: SealedMfaSecret, binding: MfaSecretBinding): string;
}

export const MFA_SECRET_SEALER = Symbol('MFA_SECRET_SEALER');
