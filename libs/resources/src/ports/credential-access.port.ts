import type { CredentialSecret, ProviderName } from '@app/providers';

export interface LinkableCredential {
  id: string;
  name: string;
  provider: ProviderName;
}

/**
 * What the resources library needs from credentials, which the app owns: find a credential
 * of an organization, and open its secret for exactly one provider call.
 */
export interface CredentialAccess {
  /** The credential, if it exists in this organization; another organization's is undefined. */
  find(organizationId: string, credentialId: string): Promise<LinkableCredential | undefined>;
  /** Decrypts, runs `use`, and lets the plaintext go: it never leaves the callback. CredentialUnusableError when it cannot be opened. */
  withSecret<T>(organizationId: string, credentialId: string, use: (secret: CredentialSecret) => Promise<T>): Promise<T>;
}

/**
 * `withSecret` could not open the credential: it is gone, or sealed with a key this service no
 * longer has. Anything else it throws (the database) is not the credential's fault.
 */
export class CredentialUnusableError extends Error {}

export const CREDENTIAL_ACCESS = Symbol('CREDENTIAL_ACCESS');
