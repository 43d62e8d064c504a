import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../libs/database/src';
import { registerOrganization } from '../harness/factories';
import { startTestApp } from '../harness/test-app';
import { ADMIN_DATABASE_URL, databaseUrlFor } from '../harness/test-database';

jest.setTimeout(60_000);

const ROLES_SQL = readFileSync(join(__dirname, '../../scripts/db/roles.sql'), 'utf8');

function urlAs(role: string, database: string): string {
  const url = new URL(databaseUrlFor(database));
  url.username = role;
  url.password = '';
  return url.toString();
}

async function asRole<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The code PostgreSQL answers a statement with, or 'ok'. */
async function outcome(client: Client, sql: string): Promise<string> {
  try {
    await client.query(sql);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? 'error';
  }
}

/**
 * Review finding 8 with two real roles: migrations as the owner (MIGRATIONS_DATABASE_URL), the
 * service as a role that may only INSERT and SELECT audit rows; set up with scripts/db/roles.sql
 * exactly as the README says.
 */
describe('the audit trail against the service itself (§6): two database roles', () => {
  const suffix = randomBytes(3).toString('hex');
  const owner = `eg_owner_${suffix}`;
  const app = `eg_app_${suffix}`;
  const database = `entryguard_roles_${suffix}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE ROLE ${owner} LOGIN`);
    await admin.query(`CREATE ROLE ${app} LOGIN`);
    await admin.query(`CREATE DATABASE ${database}`);
    // roles.sql with psql's :"owner" / :"app" variables filled in.
    await asRole(databaseUrlFor(database), (client) =>
      client.query(ROLES_SQL.replaceAll(':"owner"', `"${owner}"`).replaceAll(':"app"', `"${app}"`)),
    );
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${app}`);
    await admin.query(`DROP ROLE IF EXISTS ${owner}`);
    await admin.end();
  });

  it('the service migrates as the owner, works as its own role, and cannot alter, delete or silence audit rows', async () => {
    const t = await startTestApp({
      DATABASE_URL: urlAs(app, database),
      MIGRATIONS_DATABASE_URL: urlAs(owner, database),
      MIGRATIONS_RUN: 'true',
    });
    try {
      const org = await registerOrganization(t, 'Two Roles');
      expect((await org.admin.get('/audit-logs')).body.totalElements).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
    const owners = await asRole(urlAs(owner, database), (c) =>
      c.query(`SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`),
    );
    expect(new Set(owners.rows.map((row) => row.tableowner))).toEqual(new Set([owner]));

    const asService = await asRole(urlAs(app, database), async (c) => ({
      select: await outcome(c, 'SELECT count(*) FROM audit_logs'),
      update: await outcome(c, `UPDATE audit_logs SET result = 'SUCCESS'`),
      delete: await outcome(c, 'DELETE FROM audit_logs'),
      truncate: await outcome(c, 'TRUNCATE audit_logs'),
      disableTrigger: await outcome(c, 'ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_no_update_delete'),
      replicationRole: await outcome(c, 'SET session_replication_role = replica'),
      drop: await outcome(c, 'DROP TABLE audit_logs'),
      otherTables: await outcome(c, `UPDATE organizations SET updated_at = now() WHERE false`),
    }));
    expect(asService).toEqual({
      select: 'ok',
      update: '42501',
      delete: '42501',
      truncate: '42501',
      disableTrigger: '42501',
      replicationRole: '42501',
      drop: '42501',
      otherTables: 'ok',
    });
    // Even the owner meets the trigger.
    const asOwner = await asRole(urlAs(owner, database), (c) => outcome(c, `DELETE FROM audit_logs`));
    expect(asOwner).toBe('42501');
  });

  it('a revert that would drop audit rows refuses unless forced', async () => {
    const dataSource = new DataSource(
      buildDataSourceOptions({ databaseUrl: urlAs(owner, database), dataDir: '/tmp', migrationsRun: false, poolSize: 1 }),
    );
    await dataSource.initialize();
    try {
      const pending = async () => (await dataSource.query('SELECT count(*)::int AS n FROM migrations'))[0].n as number;
      while ((await pending()) > 1) {
        await dataSource.undoLastMigration({ transaction: 'each' });
      }
      await expect(dataSource.undoLastMigration({ transaction: 'each' })).rejects.toThrow(/would drop audit_logs with \d+ audit rows/);
      expect(await pending()).toBe(1);
      process.env.MIGRATIONS_ALLOW_AUDIT_LOSS = 'true';
      await dataSource.undoLastMigration({ transaction: 'each' });
      expect(await pending()).toBe(0);
    } finally {
      delete process.env.MIGRATIONS_ALLOW_AUDIT_LOSS;
      await dataSource.destroy();
    }
  });
});
