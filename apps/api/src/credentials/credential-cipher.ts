import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { CredentialSecret, ProviderName } from '@app/providers';

export interface Keyring {
  activeVersion: number;
  keys: ReadonlyMap<number, Buffer>;
}

export interface EncryptedSecret {
  ciphertext: Buffer;
  iv: Buffer;
  authTag: Buffer;
  keyVersion: number;
}

/** What a ciphertext is bound to: copied onto another row, it no longer decrypts. */
export interface SecretBinding {
  organizationId: string;
  credentialId: string;
}

export class KeyringError extends Error {}

/**
 * CREDENTIAL_ENCRYPTION_KEYS = "1:<base64 32 bytes>,2:<base64 32 bytes>". The highest version
 * encrypts; every listed version still decrypts, until `keys:rewrap` has moved its rows.
 */
export function parseKeyring(text: string): Keyring {
  const keys = new Map<number, Buffer>();
  for (const entry of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^(\d{1,6}):([A-Za-z0-9+/=_-]+)$/.exec(entry);
    if (!match) {
      throw new KeyringError('each entry must look like <version>:<base64 key>');
    }
    const version = Number(match[1]);
    const key = Buffer.from(match[2], 'base64');
    if (version < 1 || key.length !== 32) {
      throw new KeyringError(`key version ${match[1]} must be >= 1 and decode to exactly 32 bytes`);
    }
    if (keys.has(version)) {
      throw new KeyringError(`key version ${version} is listed twice`);
    }
    keys.set(version, key);
  }
  if (keys.size === 0) {
    throw new KeyringError('must list at least one key');
  }
  return { activeVersion: Math.max(...keys.keys()), keys };
}

function additionalData(binding: SecretBinding, keyVersion: number): Buffer {
  return Buffer.from(`entryguard:credential:v1|${binding.organizationId}|${binding.credentialId}|${keyVersion}`, 'utf8');
}

/** AES-256-GCM with a fresh 96-bit IV per encryption. */
export class CredentialCipher {
  constructor(private readonly keyring: Keyring) {}

  get activeVersion(): number {
    return this.keyring.activeVersion;
  }

  encrypt(plaintext: unknown, binding: SecretBinding): EncryptedSecret {
    const keyVersion = this.keyring.activeVersion;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(keyVersion), iv);
    cipher.setAAD(additionalData(binding, keyVersion));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(plaintext), 'utf8'), cipher.final()]);
    return { ciphertext, iv, authTag: cipher.getAuthTag(), keyVersion };
  }

  decrypt<T>(secret: EncryptedSecret, binding: SecretBinding): T {
    const decipher = createDecipheriv('aes-256-gcm', this.key(secret.keyVersion), secret.iv);
    decipher.setAAD(additionalData(binding, secret.keyVersion));
    decipher.setAuthTag(secret.authTag);
    const plaintext = Buffer.concat([decipher.update(secret.ciphertext), decipher.final()]);
    return JSON.parse(plaintext.toString('utf8')) as T;
  }

  /** The decrypted credential, typed by its provider, for the one provider call that needs it. */
  open(provider: ProviderName, secret: EncryptedSecret, binding: SecretBinding): CredentialSecret {
    return { provider, data: this.decrypt(secret, binding) } as CredentialSecret;
  }

  private key(version: number): Buffer {
    const key = this.keyring.keys.get(version);
    if (!key) {
      throw new KeyringError(`encryption key version ${version} is not in CREDENTIAL_ENCRYPTION_KEYS`);
    }
    return key;
  }
}
