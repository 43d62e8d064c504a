import { Injectable } from '@nestjs/common';
import { CredentialSecret } from '@app/providers';
import { CredentialAccess, CredentialUnusableError, LinkableCredential } from '@app/resources';
import { CredentialCipher } from './credential-cipher';
import { CredentialsRepository } from './credentials.repository';

/** The resources library's view of credentials: look one up, or open its secret for one call. */
@Injectable()
export class CredentialAccessAdapter implements CredentialAccess {
  constructor(
    private readonly repository: CredentialsRepository,
    private readonly cipher: CredentialCipher,
  ) {}

  async find(organizationId: string, credentialId: string): Promise<LinkableCredential | undefined> {
    return this.repository.findSummary(organizationId, credentialId);
  }

  async withSecret<T>(organizationId: string, credentialId: string, use: (secret: CredentialSecret) => Promise<T>): Promise<T> {
    const sealed = await this.repository.findSealed(organizationId, credentialId);
    if (!sealed) {
      throw new CredentialUnusableError(`credential ${credentialId} not found`);
    }
    let secret: CredentialSecret;
    try {
      secret = this.cipher.open(sealed.provider, sealed.secret, { organizationId, credentialId });
    } catch (error) {
      // The keyring's or the cipher's message: names a key version at most, never key material.
      throw new CredentialUnusableError(`credential ${credentialId} could not be decrypted: ${(error as Error).message}`);
    }
    return use(secret);
  }
}
