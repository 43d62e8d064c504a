import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { CredentialCipher } from '../credential-cipher';
import { Credential } from '../credential.entity';
import { CredentialsRepository } from '../credentials.repository';

export interface RewrapReport {
  rewrapped: number;
  /** Rows still on an older key (locked the whole time, or undecryptable). */
  remaining: number;
  /** Rows that no listed key could open: left as they are, for an operator to look at. */
  undecryptable: string[];
}

export interface RewrapOptions {
  batchSize?: number;
  /** Limit the run to one organization. */
  organizationId?: string;
}

/**
 * Re-encrypts every credential written under an older key with the active key, in small
 * transactions. Rows a running service holds locked are skipped and retried, so it is safe
 * to run while the service serves traffic. The table's SQL stays in CredentialsRepository.
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
  const batchSize = options.batchSize ?? 100;
  const organizationId = options.organizationId ?? null;
  const undecryptable: string[] = [];
  const countRemaining = () => CredentialsRepository.on(dataSource.manager).countOnOlderKeys(active, organizationId);
  let rewrapped = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    let moved: number;
    do {
      moved = await dataSource.transaction(async (manager) => {
        const credentials = CredentialsRepository.on(manager);
        const batch = await credentials.lockSealedOnOlderKeys(active, batchSize, organizationId, undecryptable);
        let done = 0;
        for (const sealed of batch) {
          const binding = { organizationId: sealed.organizationId, credentialId: sealed.id };
          let plaintext: unknown;
          try {
            plaintext = cipher.decrypt<unknown>(sealed.secret, binding);
          } catch {
            undecryptable.push(sealed.id);
            continue;
          }
          await credentials.storeRewrapped(sealed.organizationId, sealed.id, cipher.encrypt(plaintext, binding));
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
