import { ClsService } from 'nestjs-cls';
import { Poller } from './poller';

export interface PurgeSweepOptions {
  name: string;
  /** False (JOBS_ENABLED=false, the tests): never runs on its own; `runOnce` still does. */
  enabled: boolean;
  intervalMs: number;
  /** Rows deleted per statement, at most: a long backlog goes in short transactions. */
  batchSize: number;
  cls: ClsService;
  /**
   * Deletes at most `limit` rows past their retention, claimed with SKIP LOCKED so that instances
   * sweeping at the same time delete different rows; returns how many it deleted.
   */
  purge: (limit: number) => Promise<number>;
}

/**
 * Deletes what a table keeps only for a while, on every instance: a batch per round, the next
 * batch at once while whole batches come back, then again after `intervalMs`.
 */
export class PurgeSweep {
  private readonly poller: Poller;

  constructor(private readonly options: PurgeSweepOptions) {
    this.poller = new Poller({
      name: options.name,
      intervalMs: options.intervalMs,
      work: async () => (await this.purgeBatch()) === options.batchSize,
    });
  }

  start(): void {
    if (this.options.enabled) {
      this.poller.start();
    }
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  /** Sweeps until nothing is left past its retention, whatever `enabled` says (tests). Returns the rows deleted. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.purgeBatch();
      total += deleted;
      if (deleted < this.options.batchSize) {
        return total;
      }
    }
  }

  private purgeBatch(): Promise<number> {
    return this.options.cls.run({ ifNested: 'override' }, () => this.options.purge(this.options.batchSize));
  }
}
