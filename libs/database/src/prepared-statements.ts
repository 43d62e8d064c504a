import { createHash } from 'node:crypto';
import type pg from 'pg';

const names = new Map<string, string>();

/**
 * Marks a statement that runs often (the engine's steps, a session's start, compiled reads) to
 * be prepared on each PostgreSQL connection the first time it runs there: parsed, analysed and
 * planned once per connection rather than on every run. Returns the text unchanged; connections of
 * a LanedPool with prepared statements on (DB_PREPARED_STATEMENTS) recognise it. Only constant
 * texts belong here: every distinct text stays prepared for the connection's life.
 */
export function prepared(sql: string): string {
  if (!names.has(sql)) {
    names.set(sql, `eg_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`);
  }
  return sql;
}

export function preparedName(sql: string): string | undefined {
  return names.get(sql);
}

type QueryFunction = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/** Turns the client's runs of marked statements into runs of named (prepared) statements. */
export function usePreparedStatements(client: pg.Client): void {
  const query = client.query as unknown as QueryFunction;
  const patched: QueryFunction = function (this: pg.Client, config, values, callback) {
    const name = typeof config === 'string' && Array.isArray(values) ? preparedName(config) : undefined;
    return name ? query.call(this, { name, text: config, values }, callback) : query.call(this, config, values, callback);
  };
  (client as unknown as { query: QueryFunction }).query = patched;
}
