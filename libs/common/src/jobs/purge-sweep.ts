import { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { Poller } from './poller';

export interface PurgeSweepOptions {
  name: string;
  /** False (JOBS_ENABLED=false, the tests): never runs on its own; `runOnce` still does. */
  enabled: boolean;
  cls: ClsService;
  /**
   * Deletes at most `limit` rows past their retention, claimed with SKIP LOCKED so that instances
   * sweeping at the same time delete different rows; returns how many it deleted.
   */
  purge: (limit: number) => Promise<number>;
  /** 10 minutes unless given. */
  intervalMs?: number;
  /** Rows deleted per statement, at most (1,000 unless given): a long backlog goes in short transactions. */
  batchSize?: number;
}

/**
 * Deletes what a table keeps only for a while, on every instance of the app: a batch per round,
 * the next batch at once while whole batches come back, then again after the interval. A sweep
 * is a provider that extends this with its own options.
 */
export abstract class PurgeSweep implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly poller: Poller;
  private readonly batchSize: number;

  protected constructor(private readonly options: PurgeSweepOptions) {
    this.batchSize = options.batchSize ?? 1_000;
    this.poller = new Poller({
      name: options.name,
      intervalMs: options.intervalMs ?? 10 * 60_000,
      work: async () => (await this.purgeBatch()) === this.batchSize,
    });
  }

  onApplicationBootstrap(): void {
    if (this.options.enabled) {
      this.poller.start();
    }
  }

  /** Before the database closes (as the job queue stops): a batch under way finishes first. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.poller.stop();
  }

  /** Sweeps until nothing is left past its retention, whatever `enabled` says (tests). Returns the rows deleted. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.purgeBatch();
      total += deleted;
      if (deleted < this.batchSize) {
        return total;
      }
    }
  }

  private purgeBatch(): Promise<number> {
    return this.options.cls.run({ ifNested: 'override' }, () => this.options.purge(this.batchSize));
  }
}
