import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys (§15): only the SHA-256 of a key is stored, under a unique index that is also the
 * per-request lookup. Tenancy stays in the data: a key belongs to a user of its own organization
 * (composite foreign key), and dies with that user.
 */
export class ApiKeys1765000000000 implements MigrationInterface {
  name = 'ApiKeys1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        created_by uuid NOT NULL,
        name varchar(255) NOT NULL,
        description varchar(1000),
        key_prefix varchar(15) NOT NULL,
        key_hash char(64) NOT NULL,
        scopes text[] NOT NULL,
        expires_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz,
        last_used_ip varchar(64),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_api_keys_hash UNIQUE (key_hash),
        CONSTRAINT uq_api_keys_org_id UNIQUE (organization_id, id),
        CONSTRAINT ck_api_keys_scopes CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['sessions:read', 'sessions:write', 'resources:read', 'audit:read']::text[]),
        CONSTRAINT ck_api_keys_prefix CHECK (key_prefix ~ '^egk_live_[0-9A-Za-z]{6}$'),
        CONSTRAINT fk_api_keys_creator FOREIGN KEY (organization_id, created_by) REFERENCES users (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX ix_api_keys_org_created ON api_keys (organization_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_api_keys_creator ON api_keys (organization_id, created_by)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_keys`);
  }
}
