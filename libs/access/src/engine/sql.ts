import type { EntityManager } from 'typeorm';
import { prepared } from '@app/database';

/**
 * Runs SQL and returns its rows. TypeORM's PostgreSQL driver answers `[rows, count]` for an
 * UPDATE or DELETE with RETURNING and plain rows otherwise; callers always want the rows. The
 * engine's statements are constant texts that run all the time: prepared on each connection.
 */
export async function rows<T>(manager: Pick<EntityManager, 'query'>, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const result = (await manager.query(prepared(sql), parameters)) as unknown;
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return (Array.isArray(result) ? result : []) as T[];
}
