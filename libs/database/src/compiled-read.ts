import { Pool } from 'pg';
import { prepared } from './prepared-statements';
import { DataSource, EntityManager, ObjectLiteral, QueryFailedError, SelectQueryBuilder } from 'typeorm';

/** Stands for a named parameter while the statement is compiled, so we learn which `$n` it became. */
class Slot {
  constructor(readonly name: string) {}
}

interface Compiled {
  sql: string;
  /** Per `$n`: the name of the caller's parameter, or a constant the builder set itself. */
  values: Array<Slot | { constant: unknown }>;
}

/**
 * The DataSource's own `pg` pool, when a statement outside a transaction can go straight to it:
 * null for any other driver (PGlite, replication) and when TypeORM would log queries.
 */
const pools = new WeakMap<DataSource, Pool | null>();
function poolOf(dataSource: DataSource): Pool | null {
  let pool = pools.get(dataSource);
  if (pool === undefined) {
    const master = (dataSource.driver as { master?: unknown }).master;
    const { logging, maxQueryExecutionTime } = dataSource.options;
    pool = master instanceof Pool && !logging && !maxQueryExecutionTime ? master : null;
    pools.set(dataSource, pool);
  }
  return pool;
}

/** A subscriber told of each query (none today: the job queue's listens to commits) keeps TypeORM's path. */
function hasQueryListeners(dataSource: DataSource): boolean {
  for (const subscriber of dataSource.subscribers) {
    if (subscriber.beforeQuery || subscriber.afterQuery) {
      return true;
    }
  }
  return false;
}

/**
 * A read built by the query builder (entity metadata, selectColumns, joins) once per DataSource
 * and then run many times with new parameter values, through the manager it is given: the
 * current transaction's when there is one (`txHost.tx`), the pool's otherwise, exactly as
 * `getRawMany()` would. What it saves is rebuilding the same statement on every call: building
 * the SELECT for `GET /credentials/{id}` and the user check took about a fifth of the service's
 * CPU per request (SelectQueryBuilder.getQuery, replacePropertyNames, escapeQueryWithParameters).
 *
 * `build` must depend on nothing but the manager: per-call values are named parameters
 * (`:organizationId`), listed in `parameters`, with no value given in the builder. Array
 * parameters (`:...ids`) cannot be compiled; such reads stay on the builder.
 *
 * Outside a transaction the statement goes to the pool as `pool.query` does, without a TypeORM
 * query runner: creating one (with its entity manager and broadcaster), checking out through it,
 * its query events and releasing it were about a tenth of the small read's CPU (two statements
 * per authenticated read). A failure is the same QueryFailedError wrapping pg's error.
 */
export class CompiledRead<P extends Record<string, unknown>> {
  private readonly byDataSource = new WeakMap<DataSource, Compiled>();

  constructor(
    private readonly build: (manager: EntityManager) => SelectQueryBuilder<ObjectLiteral>,
    private readonly parameters: ReadonlyArray<keyof P & string>,
  ) {}

  /** The statement and its `$n` order, as the builder makes it for this DataSource's driver. */
  compile(manager: EntityManager): Compiled {
    let compiled = this.byDataSource.get(manager.dataSource);
    if (!compiled) {
      const query = this.build(manager);
      for (const name of this.parameters) {
        query.setParameter(name, new Slot(name));
      }
      const [sql, escaped] = query.getQueryAndParameters();
      const values = (escaped as unknown[]).map((value) => (value instanceof Slot ? value : { constant: value }));
      const used = new Set(values.flatMap((value) => (value instanceof Slot ? [value.name] : [])));
      const unused = this.parameters.filter((name) => !used.has(name));
      if (unused.length > 0) {
        throw new Error(`CompiledRead: parameter(s) ${unused.join(', ')} do not occur in: ${sql}`);
      }
      // Compiled once, run all the time: prepared on each connection.
      compiled = { sql: prepared(sql), values };
      this.byDataSource.set(manager.dataSource, compiled);
    }
    return compiled;
  }

  /** All rows, raw (database column names), as `getRawMany()`. */
  many<R>(manager: EntityManager, parameters: P): Promise<R[]> {
    return this.run(manager, parameters, allRows<R>);
  }

  /** The first row or undefined, as `getRawOne()`. */
  one<R>(manager: EntityManager, parameters: P): Promise<R | undefined> {
    return this.run(manager, parameters, firstRow<R>);
  }

  /** `pick` shapes the rows inside the pool's callback: no second promise per statement. */
  private run<T>(manager: EntityManager, parameters: P, pick: (rows: unknown[]) => T): Promise<T> {
    const { sql, values } = this.compile(manager);
    const args = new Array<unknown>(values.length);
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      args[i] = value instanceof Slot ? parameters[value.name] : value.constant;
    }
    const pool = manager.queryRunner || hasQueryListeners(manager.dataSource) ? null : poolOf(manager.dataSource);
    return pool ? queryPool(pool, sql, args, pick) : (manager.query(sql, args) as Promise<unknown[]>).then(pick);
  }
}

const allRows = <R>(rows: unknown[]): R[] => rows as R[];
const firstRow = <R>(rows: unknown[]): R | undefined => rows[0] as R | undefined;

/** One statement on a pooled connection, released at once; a connection that failed is dropped by the pool. */
function queryPool<T>(pool: Pool, sql: string, args: unknown[], pick: (rows: unknown[]) => T): Promise<T> {
  return new Promise((resolve, reject) => {
    pool.query(sql, args, (error: Error | undefined, result) => {
      if (error) {
        reject(new QueryFailedError(sql, args, error));
      } else {
        resolve(pick(result.rows));
      }
    });
  });
}
