import { DataSource } from 'typeorm';
import { ENTITIES } from '../../apps/api/src/entities';
import { buildDataSourceOptions } from '../../libs/database/src';
import { createFreshDatabase, dropDatabase } from '../harness/test-database';

/**
 * Entities and migrations describe one schema: on a freshly migrated database, every table
 * has an entity, and TypeORM's schema diff (what `synchronize` or `migration:generate` would
 * run) is empty.
 *
 * Checked that it can fail: with `Credential.name` set to `length: 201`, the second test
 * failed with
 *   - Array []
 *   + Array [
 *   +   "ALTER TABLE \"credentials\" DROP CONSTRAINT \"uq_credentials_org_name\"",
 *   +   "ALTER TABLE \"credentials\" DROP COLUMN \"name\"",
 *   +   "ALTER TABLE \"credentials\" ADD \"name\" character varying(201) NOT NULL",
 *   +   "ALTER TABLE \"credentials\" ADD CONSTRAINT \"uq_credentials_org_name\" UNIQUE (\"organization_id\", \"name\")",
 *   + ]
 * and passed again once the length was put back to 200.
 */
describe('schema agreement', () => {
  let database: { name: string; url: string };
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createFreshDatabase('entryguard_schema');
    dataSource = new DataSource(
      buildDataSourceOptions({ databaseUrl: database.url, dataDir: '/tmp', migrationsRun: false, poolSize: 2, entities: ENTITIES }),
    );
    await dataSource.initialize();
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    if (database) await dropDatabase(database.name);
  });

  it('has an entity for every migrated table (the diff below only looks at tables with one)', async () => {
    const tables: Array<{ table_name: string }> = await dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY table_name`,
    );
    const mapped = dataSource.entityMetadatas.map((metadata) => metadata.tableName).sort();
    expect(mapped).toEqual(tables.map((row) => row.table_name));
  });

  it('matches entities and migrations: the schema diff is empty', async () => {
    const diff = await dataSource.driver.createSchemaBuilder().log();
    expect(diff.upQueries.map((query) => query.query)).toEqual([]);
  });
});
