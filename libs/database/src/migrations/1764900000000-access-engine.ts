import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whitelisting engine (§13, §14, §16). A grant is one provider rule, (resource, CIDR); its
 * holders are rows (a session's rule, a static rule's target) with `holds = true`, so the
 * reference count is a count under the grant's row lock. `resource_sync` is the engine's work
 * row per resource: "bring this firewall to what its grants say", claimed with SKIP LOCKED and a
 * lease, so edits to one firewall never run on two instances at once.
 */
export class AccessEngine1764900000000 implements MigrationInterface {
  name = 'AccessEngine1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        user_name varchar(200),
        user_email varchar(320) NOT NULL,
        ipv4_address varchar(15),
        ipv6_address varchar(39),
        status varchar(10) NOT NULL,
        started_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        ended_at timestamptz,
        ended_reason varchar(20),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_sessions_org_id UNIQUE (organization_id, id),
        CONSTRAINT ck_sessions_status CHECK (status IN ('PENDING', 'ACTIVE', 'PARTIAL', 'FAILED', 'EXPIRING', 'EXPIRED', 'CANCELLED')),
        CONSTRAINT ck_sessions_ended_reason CHECK (ended_reason IN ('EXPIRED', 'MANUAL', 'ADMIN', 'USER_REMOVED')),
        CONSTRAINT ck_sessions_address CHECK (ipv4_address IS NOT NULL OR ipv6_address IS NOT NULL)
      )`);
    // No foreign key to users: a session's history outlives a deleted user (its name and e-mail are kept).
    await q.query(`CREATE INDEX ix_sessions_org_user_created ON sessions (organization_id, user_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_sessions_org_created ON sessions (organization_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_sessions_live_expiry ON sessions (expires_at) WHERE status IN ('PENDING', 'ACTIVE', 'PARTIAL')`);

    await q.query(`
      CREATE TABLE access_grants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        resource_id uuid NOT NULL,
        cidr varchar(43) NOT NULL,
        status varchar(10) NOT NULL,
        description varchar(255) NOT NULL,
        pending_since timestamptz,
        apply_started_at timestamptz,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        applied_at timestamptz,
        removed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_access_grants_resource_cidr UNIQUE (resource_id, cidr),
        CONSTRAINT ck_access_grants_status CHECK (status IN ('PENDING', 'APPLIED', 'FAILED', 'REMOVING', 'REMOVED')),
        CONSTRAINT fk_access_grants_resource FOREIGN KEY (organization_id, resource_id) REFERENCES resources (organization_id, id) ON DELETE CASCADE
      )`);

    await q.query(`
      CREATE TABLE session_rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        session_id uuid NOT NULL,
        resource_id uuid NOT NULL,
        resource_name varchar(200) NOT NULL,
        ip_version smallint NOT NULL,
        ip_address varchar(39) NOT NULL,
        grant_id uuid REFERENCES access_grants (id) ON DELETE SET NULL,
        holds boolean NOT NULL DEFAULT false,
        status varchar(10) NOT NULL,
        provider_rule_id varchar(255),
        applied_at timestamptz,
        removed_at timestamptz,
        error_message text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_session_rules_ip_version CHECK (ip_version IN (4, 6)),
        CONSTRAINT ck_session_rules_status CHECK (status IN ('PENDING', 'APPLIED', 'FAILED', 'REMOVING', 'REMOVED')),
        CONSTRAINT fk_session_rules_session FOREIGN KEY (organization_id, session_id) REFERENCES sessions (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX ix_session_rules_session ON session_rules (session_id)`);
    await q.query(`CREATE INDEX ix_session_rules_grant ON session_rules (grant_id)`);

    await q.query(`
      CREATE TABLE static_ip_rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        label varchar(255) NOT NULL,
        ip_address varchar(43) NOT NULL,
        created_by_email varchar(320),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_static_ip_rules_org_id UNIQUE (organization_id, id)
      )`);
    await q.query(`CREATE INDEX ix_static_ip_rules_org_created ON static_ip_rules (organization_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE static_ip_rule_resources (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        rule_id uuid NOT NULL,
        resource_id uuid NOT NULL,
        grant_id uuid REFERENCES access_grants (id) ON DELETE SET NULL,
        holds boolean NOT NULL DEFAULT false,
        status varchar(10) NOT NULL,
        applied_at timestamptz,
        error_message text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_static_ip_rule_resources UNIQUE (rule_id, resource_id),
        CONSTRAINT ck_static_ip_rule_resources_status CHECK (status IN ('PENDING', 'APPLIED', 'FAILED')),
        CONSTRAINT fk_static_ip_rule_resources_rule FOREIGN KEY (organization_id, rule_id) REFERENCES static_ip_rules (organization_id, id) ON DELETE CASCADE,
        CONSTRAINT fk_static_ip_rule_resources_resource FOREIGN KEY (organization_id, resource_id) REFERENCES resources (organization_id, id) ON DELETE RESTRICT
      )`);
    await q.query(`CREATE INDEX ix_static_ip_rule_resources_grant ON static_ip_rule_resources (grant_id)`);
    await q.query(`CREATE INDEX ix_static_ip_rule_resources_resource ON static_ip_rule_resources (resource_id)`);

    await q.query(`
      CREATE TABLE resource_sync (
        resource_id uuid PRIMARY KEY REFERENCES resources (id) ON DELETE CASCADE,
        organization_id uuid NOT NULL,
        due_at timestamptz,
        generation integer NOT NULL DEFAULT 0,
        leased_until timestamptz,
        reconcile_due_at timestamptz,
        health varchar(20),
        stale_cidrs jsonb
      )`);
    await q.query(`CREATE INDEX ix_resource_sync_due ON resource_sync (due_at)`);
    await q.query(`CREATE INDEX ix_resource_sync_reconcile_due ON resource_sync (reconcile_due_at)`);

    await q.query(`
      CREATE TABLE resource_health_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        resource_id uuid NOT NULL,
        resource_name varchar(200) NOT NULL,
        event_type varchar(20) NOT NULL,
        message text,
        details jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_resource_health_events_type CHECK (event_type IN ('VERIFY_OK', 'VERIFY_FAILED', 'RECONCILE_OK', 'RECONCILE_FAILED')),
        CONSTRAINT fk_resource_health_events_resource FOREIGN KEY (organization_id, resource_id) REFERENCES resources (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX ix_resource_health_events_org_created ON resource_health_events (organization_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX ix_resource_health_events_resource ON resource_health_events (organization_id, resource_id, created_at DESC, id DESC)`,
    );

    await q.query(`
      CREATE TABLE idempotency_keys (
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        operation varchar(40) NOT NULL,
        key varchar(200) NOT NULL,
        request_hash char(64) NOT NULL,
        status_code integer,
        response jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_idempotency_keys PRIMARY KEY (organization_id, user_id, operation, key)
      )`);
    await q.query(`CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE resource_health_events`);
    await q.query(`DROP TABLE resource_sync`);
    await q.query(`DROP TABLE static_ip_rule_resources`);
    await q.query(`DROP TABLE static_ip_rules`);
    await q.query(`DROP TABLE session_rules`);
    await q.query(`DROP TABLE access_grants`);
    await q.query(`DROP TABLE sessions`);
  }
}
