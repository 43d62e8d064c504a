import type { EntityManager } from 'typeorm';

/**
 * Runs SQL and returns its rows. TypeORM's PostgreSQL driver answers `[rows, count]` for an
 * UPDATE or DELETE with RETURNING and plain rows otherwise; callers always want the rows.
 */
export async function rows<T>(manager: Pick<EntityManager, 'query'>, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const result = (await manager.query(sql, parameters)) as unknown;
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return (Array.isArray(result) ? result : []) as T[];
}
