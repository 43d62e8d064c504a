import { Injectable } from '@nestjs/common';
import { runSql, TxHost } from '@app/database';

export interface RefreshTokenRecord {
  id: string;
  userId: string;
  organizationId: string;
  familyId: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

@Injectable()
export class RefreshTokenRepository {
  constructor(private readonly txHost: TxHost) {}

  async insert(record: { userId: string; organizationId: string; familyId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
    await runSql(
      this.txHost.tx,
      `INSERT INTO refresh_tokens (user_id, organization_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [record.userId, record.organizationId, record.familyId, record.tokenHash, record.expiresAt],
    );
  }

  /** Locks the row: two refreshes of one token cannot both succeed. */
  async findByHashForUpdate(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const { rows } = await runSql<{
      id: string;
      user_id: string;
      organization_id: string;
      family_id: string;
      expires_at: Date;
      used_at: Date | null;
      revoked_at: Date | null;
    }>(
      this.txHost.tx,
      `SELECT id, user_id, organization_id, family_id, expires_at, used_at, revoked_at
       FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
      [tokenHash],
    );
    const row = rows[0];
    return row
      ? {
          id: row.id,
          userId: row.user_id,
          organizationId: row.organization_id,
          familyId: row.family_id,
          expiresAt: row.expires_at,
          usedAt: row.used_at,
          revokedAt: row.revoked_at,
        }
      : undefined;
  }

  async markUsed(id: string): Promise<void> {
    await runSql(this.txHost.tx, `UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [id]);
  }

  async revokeFamily(familyId: string): Promise<void> {
    await runSql(this.txHost.tx, `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [familyId]);
  }
}
