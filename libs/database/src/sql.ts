import { EntityManager } from 'typeorm';

export interface SqlResult<T> {
  rows: T[];
  rowCount: number;
}

interface PgPool {
  query(text: string, params: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  totalCount: number;
}

/** The `pg` pool behind a PostgreSQL DataSource (not PGlite's stand-in, which answers differently). */
function pgPool(manager: EntityManager): PgPool | undefined {
  const pool = (manager.connection.driver as unknown as { master?: Partial<PgPool> }).master;
  return pool && typeof pool.query === 'function' && typeof pool.totalCount === 'number' ? (pool as PgPool) : undefined;
}

/**
 * Runs one parameterized statement on the manager's connection (the current transaction's,
 * when there is one) and returns rows and the affected count, whatever the statement.
 * Outside a transaction it goes straight to the pool: reads are the hot path.
 */
export async function runSql<T = Record<string, unknown>>(
  manager: EntityManager,
  text: string,
  params: unknown[] = [],
): Promise<SqlResult<T>> {
  if (!manager.queryRunner) {
    const pool = pgPool(manager);
    if (pool) {
      const result = await pool.query(text, params);
      return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
    }
  }
  const own = manager.queryRunner ? undefined : manager.connection.createQueryRunner();
  const runner = manager.queryRunner ?? own!;
  try {
    const result = await runner.query(text, params, true);
    const rows = (result.records ?? []) as T[];
    return { rows, rowCount: result.affected ?? rows.length };
  } finally {
    await own?.release();
  }
}
