import { DataSource } from 'typeorm';
import { CredentialCipher } from '../credential-cipher';
import { Credential } from '../credential.entity';
import { CredentialsRepository } from '../credentials.repository';
import { rewrapAll, RewrapOptions, RewrapReport } from './rewrap-loop';

export type { RewrapOptions, RewrapReport } from './rewrap-loop';

/**
 * Re-encrypts every credential written under an older key with the active key (the shared loop:
 * small transactions, locked rows retried, undecryptable ones named). The table's SQL stays in
 * CredentialsRepository.
 */
export async function rewrapCredentials(
  dataSource: DataSource,
  cipher: CredentialCipher,
  options: RewrapOptions = {},
): Promise<RewrapReport> {
  if (!dataSource.hasMetadata(Credential)) {
    throw new Error('rewrapCredentials needs a DataSource built with the entities (apps/api/src/entities.ts)');
  }
  const active = cipher.activeVersion;
  const organizationId = options.organizationId ?? null;
  return rewrapAll(dataSource, options, {
    countRemaining: (manager) => CredentialsRepository.on(manager).countOnOlderKeys(active, organizationId),
    lockBatch: (manager, limit, skip) => CredentialsRepository.on(manager).lockSealedOnOlderKeys(active, limit, organizationId, skip),
    idOf: (sealed) => sealed.id,
    reseal: (sealed) => {
      const binding = { organizationId: sealed.organizationId, credentialId: sealed.id };
      return cipher.encrypt(cipher.decrypt<unknown>(sealed.secret, binding), binding);
    },
    store: (manager, sealed, secret) => CredentialsRepository.on(manager).storeRewrapped(sealed.organizationId, sealed.id, secret),
  });
}
