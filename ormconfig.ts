import 'reflect-metadata';
// The entities import libraries through the @app/* aliases, which plain ts-node does not resolve.
import 'tsconfig-paths/register';
import { DataSource } from 'typeorm';
import { loadConfig } from './apps/api/src/config/app-config';
import { ENTITIES } from './apps/api/src/entities';
import { buildDataSourceOptions } from './libs/database/src/data-source-options';

/**
 * The DataSource for the TypeORM CLI (`npm run migration:*`), with the same options the app
 * uses: DATABASE_URL when set, otherwise the embedded PGlite database under DATA_DIR.
 */
const { config } = loadConfig(process.env);

export default new DataSource(
  buildDataSourceOptions({
    // Migrations run as the owner role (§6) when MIGRATIONS_DATABASE_URL names one.
    databaseUrl: config.migrationsDatabaseUrl ?? config.databaseUrl,
    dataDir: config.dataDir,
    migrationsRun: false,
    poolSize: 2,
    entities: ENTITIES,
  }),
);
