import { EntityManager } from 'typeorm';

export interface SqlResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * Runs one parameterized statement on the manager's connection (the current transaction's,
 * when there is one) and returns rows and the affected count, whatever the statement.
 */
export async function runSql<T = Record<string, unknown>>(
  manager: EntityManager,
  text: string,
  params: unknown[] = [],
): Promise<SqlResult<T>> {
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
