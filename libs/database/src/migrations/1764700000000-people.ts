import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Members and what they may reach (§9, §10, §12): invited users (no password yet), one-time
 * tokens stored only as hashes, each organization's sign-in policy, and roles that give users
 * resources. Tenancy stays in the data: a role can only hold users and resources of its own
 * organization (composite foreign keys on (organization_id, id)).
 */
export class People1764700000000 implements MigrationInterface {
  name = 'People1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL`);
    await q.query(`ALTER TABLE users ADD COLUMN invitation_pending boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    await q.query(`ALTER TABLE users ADD COLUMN password_changed_at timestamptz`);
    await q.query(`UPDATE users SET password_changed_at = created_at, email_verified_at = created_at`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT uq_users_org_id UNIQUE (organization_id, id)`);
    await q.query(`ALTER TABLE resources ADD CONSTRAINT uq_resources_org_id UNIQUE (organization_id, id)`);

    await q.query(`
      CREATE TABLE organization_settings (
        organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
        mfa_required boolean NOT NULL DEFAULT false,
        password_min_length integer NOT NULL DEFAULT 8,
        password_require_uppercase boolean NOT NULL DEFAULT true,
        password_require_lowercase boolean NOT NULL DEFAULT true,
        password_require_digit boolean NOT NULL DEFAULT true,
        password_require_special_char boolean NOT NULL DEFAULT false,
        password_expiration_days integer,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_settings_password_min_length CHECK (password_min_length BETWEEN 8 AND 128),
        CONSTRAINT ck_settings_password_expiration CHECK (password_expiration_days BETWEEN 1 AND 365)
      )`);
    await q.query(`INSERT INTO organization_settings (organization_id) SELECT id FROM organizations`);

    await q.query(`
      CREATE TABLE user_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        user_id uuid NOT NULL,
        purpose varchar(30) NOT NULL,
        token_hash char(64) NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_user_tokens_hash UNIQUE (token_hash),
        CONSTRAINT ck_user_tokens_purpose CHECK (purpose IN ('INVITATION', 'PASSWORD_RESET', 'PASSWORD_CHANGE', 'MFA_CHALLENGE')),
        CONSTRAINT fk_user_tokens_user FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX ix_user_tokens_user_purpose ON user_tokens (user_id, purpose)`);

    await q.query(`
      CREATE TABLE roles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        description varchar(1000),
        max_session_duration_hours integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_roles_org_id UNIQUE (organization_id, id),
        CONSTRAINT ck_roles_max_session_duration CHECK (max_session_duration_hours BETWEEN 1 AND 168)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_roles_org_name ON roles (organization_id, lower(name))`);
    await q.query(`CREATE INDEX ix_roles_org_created ON roles (organization_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE role_users (
        organization_id uuid NOT NULL,
        role_id uuid NOT NULL,
        user_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_role_users PRIMARY KEY (role_id, user_id),
        CONSTRAINT fk_role_users_role FOREIGN KEY (organization_id, role_id) REFERENCES roles (organization_id, id) ON DELETE CASCADE,
        CONSTRAINT fk_role_users_user FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX ix_role_users_user ON role_users (user_id)`);

    await q.query(`
      CREATE TABLE role_resources (
        organization_id uuid NOT NULL,
        role_id uuid NOT NULL,
        resource_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_role_resources PRIMARY KEY (role_id, resource_id),
        CONSTRAINT fk_role_resources_role FOREIGN KEY (organization_id, role_id) REFERENCES roles (organization_id, id) ON DELETE CASCADE,
        CONSTRAINT fk_role_resources_resource FOREIGN KEY (organization_id, resource_id) REFERENCES resources (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX ix_role_resources_resource ON role_resources (resource_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE role_resources`);
    await q.query(`DROP TABLE role_users`);
    await q.query(`DROP TABLE roles`);
    await q.query(`DROP TABLE user_tokens`);
    await q.query(`DROP TABLE organization_settings`);
    await q.query(`ALTER TABLE resources DROP CONSTRAINT uq_resources_org_id`);
    await q.query(`ALTER TABLE users DROP CONSTRAINT uq_users_org_id`);
    await q.query(`ALTER TABLE users DROP COLUMN password_changed_at`);
    await q.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
    await q.query(`ALTER TABLE users DROP COLUMN invitation_pending`);
    await q.query(`DELETE FROM users WHERE password_hash IS NULL`);
    await q.query(`ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL`);
  }
}
