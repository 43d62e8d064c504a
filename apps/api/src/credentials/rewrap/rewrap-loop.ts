import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager } from 'typeorm';

export interface RewrapReport {
  rewrapped: number;
  /** Rows still on an older key (locked the whole time, or undecryptable). */
  remaining: number;
  /** Rows that no listed key could open: left as they are, for an operator to look at. */
  undecryptable: string[];
}

export interface RewrapOptions {
  batchSize?: number;
  /** Limit the run to one organization. */
  organizationId?: string;
}

/** What one kind of sealed row needs from the loop; every query stays in its own repository. */
export interface RewrapSteps<Row, Resealed> {
  countRemaining(manager: EntityManager): Promise<number>;
  /** Locks (SKIP LOCKED) up to `limit` rows on an older key, leaving out the ids in `skip`. */
  lockBatch(manager: EntityManager, limit: number, skip: string[]): Promise<Row[]>;
  idOf(row: Row): string;
  /** Opens with the row's key and seals with the active one; throws when no key opens it. */
  reseal(row: Row): Resealed;
  store(manager: EntityManager, row: Row, resealed: Resealed): Promise<void>;
}

/**
 * Re-encrypts rows sealed under an older key with the active key, in small transactions. Rows a
 * running service holds locked are skipped and retried (up to 20 passes), so it is safe to run
 * while the service serves traffic; rows no configured key opens are left as they are and named.
 */
export async function rewrapAll<Row, Resealed>(
  dataSource: DataSource,
  options: RewrapOptions,
  steps: RewrapSteps<Row, Resealed>,
): Promise<RewrapReport> {
  const batchSize = options.batchSize ?? 100;
  const undecryptable: string[] = [];
  const countRemaining = () => steps.countRemaining(dataSource.manager);
  let rewrapped = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    let moved: number;
    do {
      moved = await dataSource.transaction(async (manager) => {
        let done = 0;
        for (const row of await steps.lockBatch(manager, batchSize, undecryptable)) {
          let resealed: Resealed;
          try {
            resealed = steps.reseal(row);
          } catch {
            undecryptable.push(steps.idOf(row));
            continue;
          }
          await steps.store(manager, row, resealed);
          done++;
        }
        return done;
      });
      rewrapped += moved;
    } while (moved > 0);
    const remaining = await countRemaining();
    if (remaining <= undecryptable.length) {
      return { rewrapped, remaining, undecryptable };
    }
    await sleep(250); // rows locked by live requests: wait for them to finish
  }
  return { rewrapped, remaining: await countRemaining(), undecryptable };
}
