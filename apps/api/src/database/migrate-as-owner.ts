import { Client } from 'pg';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/database';
import { AppConfig } from '../config/app-config';

/** Any constant shared by every instance: they take turns applying migrations. */
const MIGRATION_LOCK = 0x45475244; // "EGRD"

/**
 * On PostgreSQL, pending migrations are applied at boot as the owner role
 * (MIGRATIONS_DATABASE_URL), never as the service's own role (§6). Instances booting together
 * queue on an advisory lock, so each migration runs once. The embedded database migrates in
 * its own DataSource instead (one process, one role).
 */
export async function migrateAsOwner(config: AppConfig, logger: Logger): Promise<void> {
  if (!config.migrationsRun || !config.databaseUrl) {
    return;
  }
  const lock = new Client({ connectionString: config.migrationsDatabaseUrl ?? config.databaseUrl });
  await lock.connect();
  const dataSource = new DataSource(
    buildDataSourceOptions({
      databaseUrl: config.migrationsDatabaseUrl ?? config.databaseUrl,
      dataDir: config.dataDir,
      migrationsRun: false,
      poolSize: 1,
    }),
  );
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) {
      logger.info({ migrations: applied.map((migration) => migration.name) }, 'database migrations applied');
    }
  } finally {
    if (dataSource.isInitialized) {
      await dataSource.destroy();
    }
    await lock.end();
  }
}
