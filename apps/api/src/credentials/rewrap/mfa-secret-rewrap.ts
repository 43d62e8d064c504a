import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { MfaRewrapRepository, MfaSecretBinding, SealedMfaSecret, UserMfa } from '@app/auth';
import { CredentialCipher } from '../credential-cipher';
import { MfaSecretSealerAdapter } from '../../mfa/mfa-secret-sealer.adapter';
import { RewrapOptions, RewrapReport } from './credential-rewrap';

/**
 * Re-encrypts every TOTP secret (confirmed and pending, §11) sealed under an older key with the
 * active key, in small transactions, as credentials are. Rows that live requests hold locked are
 * skipped and retried; rows no configured key opens are left as they are and named (user ids).
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
  const batchSize = options.batchSize ?? 100;
  const organizationId = options.organizationId ?? null;
  const undecryptable: string[] = [];
  const countRemaining = () => MfaRewrapRepository.on(dataSource.manager).countOnOlderKeys(active, organizationId);
  let rewrapped = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    let moved: number;
    do {
      moved = await dataSource.transaction(async (manager) => {
        const rows = MfaRewrapRepository.on(manager);
        const batch = await rows.lockSealedOnOlderKeys(active, batchSize, organizationId, undecryptable);
        let done = 0;
        for (const row of batch) {
          const reseal = (sealed: SealedMfaSecret | null, slot: MfaSecretBinding['slot']): SealedMfaSecret | null => {
            if (!sealed) {
              return null;
            }
            const binding = { organizationId: row.organizationId, userId: row.userId, slot };
            return sealer.seal(sealer.open(sealed, binding), binding);
          };
          let resealed: { secret: SealedMfaSecret | null; pending: SealedMfaSecret | null };
          try {
            resealed = { secret: reseal(row.secret, 'active'), pending: reseal(row.pending, 'pending') };
          } catch {
            undecryptable.push(row.userId);
            continue;
          }
          await rows.storeRewrapped(row.organizationId, row.userId, resealed);
          done++;
        }
        return done;
      });
      rewrapped += moved;
    } while (moved > 0);
    const remaining = await countRemaining();
    if (remaining <= undecryptable.length) {
      return { rewrapped, remaining, undecryptable };
    }
    await sleep(250); // rows locked by live requests: wait for them to finish
  }
  return { rewrapped, remaining: await countRemaining(), undecryptable };
}
