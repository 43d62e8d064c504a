import { Injectable } from '@nestjs/common';
import { isPgError, PG_UNIQUE_VIOLATION } from '@app/common';
import { claimDueRows, DueRow, postponeVerification, runSql, TxHost } from '@app/database';
import { ProviderName } from '@app/providers';
import { EncryptedSecret } from './credential-cipher';
import { CredentialNameTakenError } from './credential.errors';

export interface CredentialRow {
  id: string;
  organization_id: string;
  name: string;
  provider: ProviderName;
  credential_type: string;
  is_valid: boolean | null;
  last_verified_at: Date | null;
  verification_error: string | null;
  created_at: Date;
  updated_at: Date;
  resource_count: number;
}

export interface SealedCredential {
  id: string;
  organizationId: string;
  name: string;
  provider: ProviderName;
  secret: EncryptedSecret;
}

export interface VerificationResult {
  isValid: boolean | null;
  verificationError: string | null;
}

const SELECT_CREDENTIAL = `
  SELECT c.id, c.organization_id, c.name, c.provider, c.credential_type, c.is_valid, c.last_verified_at,
         c.verification_error, c.created_at, c.updated_at,
         (SELECT count(*)::int FROM resources r WHERE r.organization_id = c.organization_id AND r.credential_id = c.id) AS resource_count
  FROM credentials c`;

interface SealedRow {
  id: string;
  organization_id: string;
  name: string;
  provider: ProviderName;
  ciphertext: Buffer;
  iv: Buffer;
  auth_tag: Buffer;
  key_version: number;
}

function toSealed(row: SealedRow): SealedCredential {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    provider: row.provider,
    secret: { ciphertext: row.ciphertext, iv: row.iv, authTag: row.auth_tag, keyVersion: row.key_version },
  };
}

/** Every statement is scoped by organization id: a cross-tenant read cannot be written by accident. */
@Injectable()
export class CredentialsRepository {
  constructor(private readonly txHost: TxHost) {}

  async insert(row: {
    id: string;
    organizationId: string;
    name: string;
    provider: string;
    credentialType: string;
    secret: EncryptedSecret;
  }): Promise<CredentialRow> {
    try {
      // A new credential has no resources: the row comes back whole, without a second read.
      const { rows } = await runSql<CredentialRow>(
        this.txHost.tx,
        `INSERT INTO credentials (id, organization_id, name, provider, credential_type, ciphertext, iv, auth_tag, key_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING id, organization_id, name, provider, credential_type, is_valid, last_verified_at, verification_error,
                   created_at, updated_at, 0 AS resource_count`,
        [
          row.id,
          row.organizationId,
          row.name,
          row.provider,
          row.credentialType,
          row.secret.ciphertext,
          row.secret.iv,
          row.secret.authTag,
          row.secret.keyVersion,
        ],
      );
      return rows[0];
    } catch (error) {
      throw this.translate(error, row.name);
    }
  }

  async findById(organizationId: string, id: string): Promise<CredentialRow | undefined> {
    const { rows } = await runSql<CredentialRow>(this.txHost.tx, `${SELECT_CREDENTIAL} WHERE c.organization_id = $1 AND c.id = $2`, [
      organizationId,
      id,
    ]);
    return rows[0];
  }

  /** Just what linking a resource needs: no resource count. */
  async findSummary(organizationId: string, id: string): Promise<{ id: string; name: string; provider: ProviderName } | undefined> {
    const { rows } = await runSql<{ id: string; name: string; provider: ProviderName }>(
      this.txHost.tx,
      `SELECT id, name, provider FROM credentials WHERE organization_id = $1 AND id = $2`,
      [organizationId, id],
    );
    return rows[0];
  }

  async list(organizationId: string): Promise<CredentialRow[]> {
    const { rows } = await runSql<CredentialRow>(
      this.txHost.tx,
      `${SELECT_CREDENTIAL} WHERE c.organization_id = $1 ORDER BY c.created_at DESC, c.id DESC`,
      [organizationId],
    );
    return rows;
  }

  /** Row lock for the rest of the transaction: resource inserts and moves onto it wait. */
  async lock(organizationId: string, id: string): Promise<{ id: string; name: string; provider: ProviderName } | undefined> {
    const { rows } = await runSql<{ id: string; name: string; provider: ProviderName }>(
      this.txHost.tx,
      `SELECT id, name, provider FROM credentials WHERE organization_id = $1 AND id = $2 FOR UPDATE`,
      [organizationId, id],
    );
    return rows[0];
  }

  async countResources(organizationId: string, id: string): Promise<number> {
    const { rows } = await runSql<{ count: number }>(
      this.txHost.tx,
      `SELECT count(*)::int AS count FROM resources WHERE organization_id = $1 AND credential_id = $2`,
      [organizationId, id],
    );
    return rows[0].count;
  }

  /** A foreign-key violation (23503) propagates: the service turns it into CREDENTIAL_IN_USE. */
  async delete(organizationId: string, id: string): Promise<void> {
    await runSql(this.txHost.tx, `DELETE FROM credentials WHERE organization_id = $1 AND id = $2`, [organizationId, id]);
  }

  async rename(organizationId: string, id: string, name: string): Promise<void> {
    try {
      await runSql(this.txHost.tx, `UPDATE credentials SET name = $3, updated_at = now() WHERE organization_id = $1 AND id = $2`, [
        organizationId,
        id,
        name,
      ]);
    } catch (error) {
      throw this.translate(error, name);
    }
  }

  /** New keys: verification starts over, and the job picks the row up at once. */
  async replaceSecret(organizationId: string, id: string, secret: EncryptedSecret): Promise<void> {
    await runSql(
      this.txHost.tx,
      `UPDATE credentials SET ciphertext = $3, iv = $4, auth_tag = $5, key_version = $6, is_valid = NULL,
         last_verified_at = NULL, verification_error = NULL, verify_due_at = now(), updated_at = now()
       WHERE organization_id = $1 AND id = $2`,
      [organizationId, id, secret.ciphertext, secret.iv, secret.authTag, secret.keyVersion],
    );
  }

  async findSealed(organizationId: string, id: string): Promise<SealedCredential | undefined> {
    const { rows } = await runSql<SealedRow>(
      this.txHost.tx,
      `SELECT id, organization_id, name, provider, ciphertext, iv, auth_tag, key_version
       FROM credentials WHERE organization_id = $1 AND id = $2`,
      [organizationId, id],
    );
    return rows[0] ? toSealed(rows[0]) : undefined;
  }

  /** Returns the previous validity, so callers can tell whether anything changed. */
  async saveVerification(
    organizationId: string,
    id: string,
    result: VerificationResult,
    nextDueInMinutes: number,
  ): Promise<{ previous: boolean | null } | undefined> {
    const { rows } = await runSql<{ previous: boolean | null }>(
      this.txHost.tx,
      `UPDATE credentials c SET is_valid = $3, verification_error = $4, last_verified_at = now(),
         verify_due_at = now() + make_interval(mins => $5)
       FROM (SELECT id, is_valid AS previous FROM credentials WHERE organization_id = $1 AND id = $2 FOR UPDATE) old
       WHERE c.id = old.id
       RETURNING old.previous`,
      [organizationId, id, result.isValid, result.verificationError, nextDueInMinutes],
    );
    return rows[0];
  }

  /** The provider could not be asked: keep the verdict, note why, and ask again soon. */
  saveUnreachable(organizationId: string, id: string, reason: string, retryInMinutes: number): Promise<void> {
    return postponeVerification(this.txHost.tx, 'credentials', { organizationId, id }, reason, retryInMinutes);
  }

  claimDue(limit: number, leaseMinutes: number): Promise<DueRow[]> {
    return claimDueRows(this.txHost.tx, 'credentials', limit, leaseMinutes);
  }

  async moveResources(organizationId: string, fromId: string, toId: string): Promise<number> {
    const { rowCount } = await runSql(
      this.txHost.tx,
      `UPDATE resources SET credential_id = $3, updated_at = now() WHERE organization_id = $1 AND credential_id = $2`,
      [organizationId, fromId, toId],
    );
    return rowCount;
  }

  private translate(error: unknown, name: string): unknown {
    if (isPgError(error, PG_UNIQUE_VIOLATION, 'uq_credentials_org_name')) {
      return new CredentialNameTakenError(name);
    }
    return error;
  }
}
