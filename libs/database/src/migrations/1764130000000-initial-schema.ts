import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole first schema. Tenancy is enforced by data, not only by code: a resource can
 * reference a credential only through (organization_id, credential_id), and the audit
 * table refuses UPDATE, DELETE and TRUNCATE.
 */
export class InitialSchema1764130000000 implements MigrationInterface {
  name = 'InitialSchema1764130000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE organizations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        slug varchar(100) NOT NULL,
        subscription_tier varchar(20) NOT NULL DEFAULT 'FREE',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_organizations_slug UNIQUE (slug)
      )`);
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        email varchar(320) NOT NULL,
        name varchar(200),
        password_hash text NOT NULL,
        role varchar(20) NOT NULL CHECK (role IN ('ORG_ADMIN', 'USER')),
        is_active boolean NOT NULL DEFAULT true,
        last_login_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_users_org_email UNIQUE (organization_id, email)
      )`);
    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash char(64) NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_refresh_tokens_hash UNIQUE (token_hash)
      )`);
    await q.query(`CREATE INDEX ix_refresh_tokens_family ON refresh_tokens (family_id)`);
    await q.query(`
      CREATE TABLE credentials (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        name varchar(200) NOT NULL,
        provider varchar(20) NOT NULL CHECK (provider IN ('AWS', 'GCP', 'AZURE', 'APISIX')),
        credential_type varchar(40) NOT NULL,
        ciphertext bytea NOT NULL,
        iv bytea NOT NULL,
        auth_tag bytea NOT NULL,
        key_version integer NOT NULL,
        is_valid boolean,
        last_verified_at timestamptz,
        verification_error text,
        verify_due_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_credentials_org_id UNIQUE (organization_id, id),
        CONSTRAINT uq_credentials_org_name UNIQUE (organization_id, name)
      )`);
    await q.query(`CREATE INDEX ix_credentials_org_created ON credentials (organization_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_credentials_verify_due ON credentials (verify_due_at)`);
    await q.query(`CREATE INDEX ix_credentials_key_version ON credentials (key_version)`);
    await q.query(`
      CREATE TABLE resources (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        credential_id uuid NOT NULL,
        name varchar(200) NOT NULL,
        provider varchar(20) NOT NULL CHECK (provider IN ('AWS', 'GCP', 'AZURE', 'APISIX')),
        resource_type varchar(40) NOT NULL,
        resource_identifier varchar(255) NOT NULL,
        region varchar(64),
        config jsonb NOT NULL DEFAULT '{}'::jsonb,
        is_active boolean NOT NULL DEFAULT false,
        last_verified_at timestamptz,
        verification_error text,
        verify_due_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fk_resources_credential FOREIGN KEY (organization_id, credential_id)
          REFERENCES credentials (organization_id, id) ON DELETE RESTRICT
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_resources_identity ON resources (organization_id, provider, resource_identifier, (coalesce(region, '')))`,
    );
    await q.query(`CREATE INDEX ix_resources_org_credential ON resources (organization_id, credential_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_resources_org_created ON resources (organization_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_resources_verify_due ON resources (verify_due_at)`);
    await q.query(`
      CREATE TABLE audit_logs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid,
        organization_name varchar(200),
        event_type varchar(64) NOT NULL,
        actor_id uuid,
        actor_email varchar(320),
        actor_type varchar(20) NOT NULL,
        resource_type varchar(40),
        resource_id uuid,
        resource_name varchar(255),
        result varchar(10) NOT NULL CHECK (result IN ('SUCCESS', 'FAILURE')),
        error_code varchar(64),
        error_message text,
        ip_address varchar(64),
        user_agent varchar(512),
        request_id varchar(128),
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX ix_audit_org_created ON audit_logs (organization_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_audit_org_event ON audit_logs (organization_id, event_type, created_at DESC)`);
    await q.query(`CREATE INDEX ix_audit_org_target ON audit_logs (organization_id, resource_id, created_at DESC)`);
    await q.query(`CREATE INDEX ix_audit_org_actor ON audit_logs (organization_id, actor_email, created_at DESC)`);
    await q.query(`
      CREATE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP USING ERRCODE = '42501';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER audit_logs_no_update_delete BEFORE UPDATE OR DELETE ON audit_logs
      FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
      FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Reverting this migration destroys the audit trail: only on purpose (§6).
    const [{ rows }] = (await q.query(`SELECT count(*)::int AS rows FROM audit_logs`)) as Array<{ rows: number }>;
    if (rows > 0 && process.env.MIGRATIONS_ALLOW_AUDIT_LOSS !== 'true') {
      throw new Error(
        `Reverting InitialSchema would drop audit_logs with ${rows} audit rows. Export them first; set MIGRATIONS_ALLOW_AUDIT_LOSS=true to force.`,
      );
    }
    await q.query(`DROP TABLE audit_logs`);
    await q.query(`DROP FUNCTION audit_logs_append_only()`);
    await q.query(`DROP TABLE resources`);
    await q.query(`DROP TABLE credentials`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE users`);
    await q.query(`DROP TABLE organizations`);
  }
}
