import { Logger } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { Poller } from './poller';

const STOP_GRACE_MS = 2_000;

export interface DueWorkJobOptions<T> {
  name: string;
  enabled: boolean;
  intervalMs: number;
  batchSize: number;
  cls: ClsService;
  /** Claims up to `limit` due items in the database, so that no other instance takes them. */
  claim(limit: number): Promise<T[]>;
  process(item: T): Promise<void>;
}

/**
 * A background job over rows that fall due (e.g. re-verification): each round claims a batch
 * and processes it, inside a request-like context so transactions work as in a request.
 * One failing item is logged and does not stop the others.
 */
export class DueWorkJob<T> {
  private readonly logger: Logger;
  private readonly poller: Poller;
  private stopping = false;

  constructor(private readonly options: DueWorkJobOptions<T>) {
    this.logger = new Logger(options.name);
    this.poller = new Poller({ name: options.name, intervalMs: options.intervalMs, work: () => this.round() });
  }

  start(): void {
    if (this.options.enabled) {
      this.poller.start();
    }
  }

  /** Stops after the item in hand; waits for it only briefly, since an unfinished claim falls due again. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.race([this.poller.stop(), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
  }

  /** Something fell due just now: run soon rather than at the next interval. */
  nudge(): void {
    this.poller.nudge();
  }

  private round(): Promise<boolean> {
    return this.options.cls.run(async () => {
      const items = await this.options.claim(this.options.batchSize);
      for (const item of items) {
        if (this.stopping) {
          return false;
        }
        await this.options.process(item).catch((error: Error) => this.logger.warn(`item failed: ${error.message}`));
      }
      return items.length === this.options.batchSize;
    });
  }
}
