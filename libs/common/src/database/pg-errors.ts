/** PostgreSQL SQLSTATE codes the repositories translate into domain errors. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';

export interface PgErrorInfo {
  code?: string;
  constraint?: string;
}

/** Reads SQLSTATE and constraint name from a driver error, however TypeORM wrapped it. */
export function pgErrorInfo(error: unknown): PgErrorInfo {
  const candidate = error as { code?: unknown; constraint?: unknown; driverError?: unknown } | null;
  if (!candidate || typeof candidate !== 'object') {
    return {};
  }
  const inner = (candidate.driverError ?? candidate) as { code?: unknown; constraint?: unknown };
  return {
    code: typeof inner.code === 'string' ? inner.code : undefined,
    constraint: typeof inner.constraint === 'string' ? inner.constraint : undefined,
  };
}

export function isPgError(error: unknown, code: string, constraint?: string): boolean {
  const info = pgErrorInfo(error);
  return info.code === code && (constraint === undefined || info.constraint === constraint);
}
