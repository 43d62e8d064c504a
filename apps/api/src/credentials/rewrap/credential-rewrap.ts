import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { runSql } from '@app/database';
import { CredentialCipher } from '../credential-cipher';

interface SealedRow {
  id: string;
  organization_id: string;
  ciphertext: Buffer;
  iv: Buffer;
  auth_tag: Buffer;
  key_version: number;
}

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
 * to run while the service serves traffic.
 */
export async function rewrapCredentials(
  dataSource: DataSource,
  cipher: CredentialCipher,
  options: RewrapOptions = {},
): Promise<RewrapReport> {
  const active = cipher.activeVersion;
  const batchSize = options.batchSize ?? 100;
  const organizationId = options.organizationId ?? null;
  const undecryptable: string[] = [];
  let rewrapped = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    let moved: number;
    do {
      moved = await dataSource.transaction(async (manager) => {
        const { rows } = await runSql<SealedRow>(
          manager,
          `SELECT id, organization_id, ciphertext, iv, auth_tag, key_version FROM credentials
           WHERE key_version <> $1 AND ($3::uuid IS NULL OR organization_id = $3) AND NOT (id = ANY($4::uuid[]))
           ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [active, batchSize, organizationId, undecryptable],
        );
        for (const row of rows) {
          const binding = { organizationId: row.organization_id, credentialId: row.id };
          let plaintext: unknown;
          try {
            plaintext = cipher.decrypt<unknown>(
              { ciphertext: row.ciphertext, iv: row.iv, authTag: row.auth_tag, keyVersion: row.key_version },
              binding,
            );
          } catch {
            undecryptable.push(row.id);
            continue;
          }
          const sealed = cipher.encrypt(plaintext, binding);
          await runSql(manager, `UPDATE credentials SET ciphertext = $2, iv = $3, auth_tag = $4, key_version = $5 WHERE id = $1`, [
            row.id,
            sealed.ciphertext,
            sealed.iv,
            sealed.authTag,
            sealed.keyVersion,
          ]);
        }
        return rows.length - undecryptedIn(rows, undecryptable);
      });
      rewrapped += moved;
    } while (moved > 0);
    const remaining = await countRemaining(dataSource, active, organizationId);
    if (remaining <= undecryptable.length) {
      return { rewrapped, remaining, undecryptable };
    }
    await sleep(250); // rows locked by live requests: wait for them to finish
  }
  return { rewrapped, remaining: await countRemaining(dataSource, active, organizationId), undecryptable };
}

function undecryptedIn(rows: SealedRow[], undecryptable: string[]): number {
  return rows.filter((row) => undecryptable.includes(row.id)).length;
}

async function countRemaining(dataSource: DataSource, active: number, organizationId: string | null): Promise<number> {
  const { rows } = await runSql<{ n: number }>(
    dataSource.manager,
    `SELECT count(*)::int AS n FROM credentials WHERE key_version <> $1 AND ($2::uuid IS NULL OR organization_id = $2)`,
    [active, organizationId],
  );
  return rows[0].n;
}
