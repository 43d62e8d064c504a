import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../libs/database/src';
import { createFreshDatabase, dropDatabase } from '../harness/test-database';

/** Every migration can be reverted and applied again: `npm run migration:revert` is a real way back. */
describe('migrations', () => {
  it('revert to an empty schema and apply again', async () => {
    const database = await createFreshDatabase('entryguard_mig');
    const dataSource = new DataSource(
      buildDataSourceOptions({ databaseUrl: database.url, dataDir: '/tmp', migrationsRun: false, poolSize: 2 }),
    );
    const tables = async () =>
      (await dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)).map(
        (row: { table_name: string }) => row.table_name,
      );
    try {
      await dataSource.initialize();
      const applied = await tables();
      expect(applied).toEqual([
        'access_grants',
        'api_keys',
        'audit_logs',
        'credentials',
        'idempotency_keys',
        'jobs',
        'mfa_recovery_codes',
        'migrations',
        'organization_settings',
        'organizations',
        'refresh_tokens',
        'resource_health_events',
        'resource_sync',
        'resources',
        'role_resources',
        'role_users',
        'roles',
        'session_rules',
        'sessions',
        'static_ip_rule_resources',
        'static_ip_rules',
        'user_mfa',
        'user_tokens',
        'users',
      ]);

      while ((await dataSource.query('SELECT count(*)::int AS n FROM migrations'))[0].n > 0) {
        await dataSource.undoLastMigration({ transaction: 'each' });
      }
      expect(await tables()).toEqual(['migrations']);

      await dataSource.runMigrations({ transaction: 'each' });
      expect(await tables()).toEqual(applied);
      const triggers = await dataSource.query(
        `SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_logs'::regclass AND NOT tgisinternal ORDER BY tgname`,
      );
      expect(triggers.map((row: { tgname: string }) => row.tgname)).toEqual(['audit_logs_no_truncate', 'audit_logs_no_update_delete']);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await dropDatabase(database.name);
    }
  });
});
