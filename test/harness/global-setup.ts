import { createFreshDatabase } from './test-database';

/** One fresh database per test run; spec files share it and isolate by organization. */
export default async function globalSetup(): Promise<void> {
  const { name, url } = await createFreshDatabase();
  process.env.TEST_DATABASE_NAME = name;
  process.env.TEST_DATABASE_URL = url;
}
