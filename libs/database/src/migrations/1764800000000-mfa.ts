import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * MFA (§11). Whether a user has MFA on is a column of users (`mfa_enabled_at`), so the per-request
 * token check reads it with the user. The TOTP secret, the setup secret waiting for confirmation
 * and the last accepted time step live in user_mfa, each secret as the credential cipher stores a
 * credential (AES-256-GCM ciphertext, IV, tag, key version), never in plain text. Recovery codes
 * are stored only as argon2id hashes. An MFA challenge is a user_tokens row (MFA_CHALLENGE); its
 * wrong codes are counted there, in the database, so five of them end it on every instance.
 */
export class Mfa1764800000000 implements MigrationInterface {
  name = 'Mfa1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN mfa_enabled_at timestamptz`);
    await q.query(`ALTER TABLE user_tokens ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0`);

    await q.query(`
      CREATE TABLE user_mfa (
        user_id uuid NOT NULL,
        organization_id uuid NOT NULL,
        secret_ciphertext bytea,
        secret_iv bytea,
        secret_auth_tag bytea,
        secret_key_version integer,
        last_used_step integer,
        pending_ciphertext bytea,
        pending_iv bytea,
        pending_auth_tag bytea,
        pending_key_version integer,
        pending_expires_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_user_mfa PRIMARY KEY (user_id),
        CONSTRAINT fk_user_mfa_user FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id) ON DELETE CASCADE,
        CONSTRAINT ck_user_mfa_secret CHECK (num_nulls(secret_ciphertext, secret_iv, secret_auth_tag, secret_key_version) IN (0, 4)),
        CONSTRAINT ck_user_mfa_pending
          CHECK (num_nulls(pending_ciphertext, pending_iv, pending_auth_tag, pending_key_version, pending_expires_at) IN (0, 5))
      )`);

    await q.query(`
      CREATE TABLE mfa_recovery_codes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        user_id uuid NOT NULL,
        code_hash text NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fk_mfa_recovery_codes_user FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX ix_mfa_recovery_codes_user ON mfa_recovery_codes (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mfa_recovery_codes`);
    await q.query(`DROP TABLE user_mfa`);
    await q.query(`ALTER TABLE user_tokens DROP COLUMN failed_attempts`);
    await q.query(`ALTER TABLE users DROP COLUMN mfa_enabled_at`);
  }
}
