-- The two database roles of a PostgreSQL deployment (decisions §6), run once by a superuser
-- (or the database's owner) after creating both login roles, before the first migration:
--
--   CREATE ROLE entryguard_owner LOGIN PASSWORD '...';   -- runs migrations, owns the tables
--   CREATE ROLE entryguard_app   LOGIN PASSWORD '...';   -- the service
--   psql "postgres://postgres@db/entryguard" -v owner=entryguard_owner -v app=entryguard_app -f scripts/db/roles.sql
--
-- Then MIGRATIONS_DATABASE_URL connects as the owner and DATABASE_URL as the service role. The
-- service may read and write every table but the audit trail, which it may only INSERT into and
-- SELECT from (the migration AuditAppendOnlyGrants revokes the rest): it cannot update, delete,
-- truncate or disable the append-only trigger, and cannot set session_replication_role.
GRANT USAGE, CREATE ON SCHEMA public TO :"owner";
GRANT USAGE ON SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app";
