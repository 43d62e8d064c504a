import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CredentialSecret, ResourceTarget } from '@app/providers';

/**
 * Serializes edits of one APISIX route across instances and resources: APISIX has no
 * compare-and-set, so two read-modify-write cycles at once would lose an address. A PostgreSQL
 * advisory lock on a connection of its own, keyed by the gateway and the route; it is released
 * with the connection if the instance dies. (AWS edits one rule atomically and needs none; the
 * embedded database serves one process, where the adapter's own mutex is enough.)
 */
@Injectable()
export class FirewallLock {
  constructor(private readonly dataSource: DataSource) {}

  async around<T>(secret: CredentialSecret, target: ResourceTarget, work: () => Promise<T>): Promise<T> {
    if (secret.provider !== 'APISIX' || 'driver' in this.dataSource.options) {
      return work();
    }
    const key = `apisix|${secret.data.adminUrl.replace(/\/+$/, '')}|${target.resourceIdentifier}`;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [key]);
      try {
        return await work();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
      }
    } finally {
      await runner.release();
    }
  }
}
