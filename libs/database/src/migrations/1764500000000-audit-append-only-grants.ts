import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail is append-only against the service itself (§6): no role but the table's owner
 * (the migrations role) may UPDATE, DELETE or TRUNCATE audit rows, whatever default privileges
 * granted when the table was created. The service role keeps INSERT and SELECT. Not being the
 * owner, it cannot disable the trigger either, and only a superuser can set
 * session_replication_role. Catalog loops have no query-builder form: this is a migration.
 */
export class AuditAppendOnlyGrants1764500000000 implements MigrationInterface {
  name = 'AuditAppendOnlyGrants1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_logs FROM PUBLIC`);
    await q.query(`
      DO $$
      DECLARE grantee_name text;
      BEGIN
        FOR grantee_name IN
          SELECT DISTINCT a.grantee::regrole::text
          FROM pg_class c, aclexplode(c.relacl) a
          WHERE c.oid = 'audit_logs'::regclass AND a.grantee <> 0 AND a.grantee <> c.relowner
            AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
        LOOP
          EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_logs FROM %s', grantee_name);
        END LOOP;
      END
      $$`);
  }

  async down(): Promise<void> {
    // Nothing to give back: no role but the owner should ever change audit rows.
  }
}
