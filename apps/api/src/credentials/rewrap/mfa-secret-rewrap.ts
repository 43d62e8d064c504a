import { DataSource } from 'typeorm';
import { MfaRewrapRepository, MfaSecretBinding, SealedMfaSecret, UserMfa } from '@app/auth';
import { CredentialCipher } from '../credential-cipher';
import { MfaSecretSealerAdapter } from '../../mfa/mfa-secret-sealer.adapter';
import { rewrapAll, RewrapOptions, RewrapReport } from './rewrap-loop';

/**
 * Re-encrypts every TOTP secret (confirmed and pending, §11) sealed under an older key with the
 * active key, through the loop credentials use; rows no configured key opens are named (user ids).
 */
export async function rewrapMfaSecrets(
  dataSource: DataSource,
  cipher: CredentialCipher,
  options: RewrapOptions = {},
): Promise<RewrapReport> {
  if (!dataSource.hasMetadata(UserMfa)) {
    throw new Error('rewrapMfaSecrets needs a DataSource built with the entities (apps/api/src/entities.ts)');
  }
  const sealer = new MfaSecretSealerAdapter(cipher);
  const active = cipher.activeVersion;
  const organizationId = options.organizationId ?? null;
  return rewrapAll(dataSource, options, {
    countRemaining: (manager) => MfaRewrapRepository.on(manager).countOnOlderKeys(active, organizationId),
    lockBatch: (manager, limit, skip) => MfaRewrapRepository.on(manager).lockSealedOnOlderKeys(active, limit, organizationId, skip),
    idOf: (row) => row.userId,
    reseal: (row) => {
      const reseal = (sealed: SealedMfaSecret | null, slot: MfaSecretBinding['slot']): SealedMfaSecret | null => {
        if (!sealed) {
          return null;
        }
        const binding = { organizationId: row.organizationId, userId: row.userId, slot };
        return sealer.seal(sealer.open(sealed, binding), binding);
      };
      return { secret: reseal(row.secret, 'active'), pending: reseal(row.pending, 'pending') };
    },
    store: (manager, row, resealed) => MfaRewrapRepository.on(manager).storeRewrapped(row.organizationId, row.userId, resealed),
  });
}
