import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, QueryRunner } from 'typeorm';
import { isEmbeddedDatabase, prepared } from '@app/database';
import type { CredentialSecret, ResourceTarget } from '@app/providers';

/** How often a route's lock is tried again while another edit holds it. */
const RETRY_MS = 25;

/**
 * Serializes edits of one APISIX route across instances and resources: APISIX has no
 * compare-and-set, so two read-modify-write cycles at once would lose an address. A PostgreSQL
 * advisory lock on a connection of its own, keyed by the gateway and the route; it is released
 * with the connection if the instance dies. (AWS edits one rule atomically and needs none; the
 * embedded database serves one process, where the adapter's own mutex is enough.)
 *
 * The lock is tried, not waited for: a connection is taken from the pool only while the lock is
 * held, so edits queued behind a slow one do not hold connections the rest of the engine needs.
 */
@Injectable()
export class FirewallLock {
  constructor(private readonly dataSource: DataSource) {}

  async around<T>(secret: CredentialSecret, target: ResourceTarget, work: () => Promise<T>): Promise<T> {
    if (secret.provider !== 'APISIX' || isEmbeddedDatabase(this.dataSource)) {
      return work();
    }
    const key = `apisix|${secret.data.adminUrl.replace(/\/+$/, '')}|${target.resourceIdentifier}`;
    for (;;) {
      const runner = this.dataSource.createQueryRunner();
      await runner.connect();
      let locked = false;
      try {
        [{ locked }] = (await runner.query(prepared(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`), [key])) as Array<{
          locked: boolean;
        }>;
        if (locked) {
          return await work();
        }
      } finally {
        if (locked) {
          this.unlockSoon(runner, key);
        } else {
          await runner.release();
        }
      }
      await sleep(RETRY_MS + Math.random() * RETRY_MS);
    }
  }

  /**
   * Lets go of the route's lock without making the caller wait: its outcome is written meanwhile.
   * A connection whose unlock failed is closed, never pooled, so the lock goes with it.
   */
  private unlockSoon(runner: QueryRunner, key: string): void {
    runner.query(prepared(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`), [key]).then(
      () => runner.release(),
      (error: Error) =>
        (runner as QueryRunner & { releasePostgresConnection(err?: Error): Promise<void> }).releasePostgresConnection(error),
    );
  }
}
