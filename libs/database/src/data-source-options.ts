import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Pool } from 'pg';
import { DataSource, DataSourceOptions, MixedList } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { lanedPg, LaneTest } from './laned-pool';
import { MIGRATIONS } from './migrations';
import { PG_TYPES } from './timestamptz';

export interface DatabaseSettings {
  /** PostgreSQL through `pg`; when absent, the embedded PGlite under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  migrationsRun: boolean;
  poolSize: number;
  /**
   * Background work (the engine, jobs) in a pool of its own beside `poolSize` (see LanedPool):
   * its size, and how to tell background work (@app/common's isBackgroundLane). Without it, one pool.
   */
  background?: { poolSize: number; inLane: LaneTest };
  /** Statements marked with `prepared()` run as prepared statements (off behind a pooler that cannot keep them). */
  preparedStatements?: boolean;
  /**
   * The entity classes. The app owns the list (apps/api/src/entities.ts): a library cannot
   * import the modules that own the tables. Without it, repositories cannot run.
   */
  entities?: MixedList<Function>;
}

export function buildDataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    synchronize: false,
    migrations: MIGRATIONS,
    migrationsRun: settings.migrationsRun,
    migrationsTransactionMode: 'each' as const,
    // PGlite lacks uuid-ossp, and we use gen_random_uuid() everywhere anyway.
    installExtensions: false,
    entities: settings.entities ?? [],
  };
  if (settings.databaseUrl) {
    return {
      ...common,
      url: settings.databaseUrl,
      poolSize: settings.poolSize,
      ...(settings.background
        ? { driver: lanedPg(settings.background.poolSize, settings.background.inLane, settings.preparedStatements ?? false) }
        : {}),
      // Fail fast when the server is gone, so clients get a 503 instead of a hung request.
      // PG_TYPES: timestamptz read by position (see timestamptz.ts), the rest as pg does.
      extra: { connectionTimeoutMillis: 5000, max: settings.poolSize, types: PG_TYPES },
    };
  }
  const dataDir = join(settings.dataDir, 'pglite');
  mkdirSync(dataDir, { recursive: true });
  return { ...common, driver: new PGliteDriver({ dataDir }).driver };
}

/** The embedded database (PGlite): one process, one connection, no `pg` pool. */
export function isEmbeddedDatabase(dataSource: DataSource): boolean {
  return !((dataSource.driver as { master?: unknown }).master instanceof Pool);
}
