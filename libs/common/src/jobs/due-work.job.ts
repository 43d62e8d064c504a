import { Logger } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { Poller } from './poller';

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

  constructor(private readonly options: DueWorkJobOptions<T>) {
    this.logger = new Logger(options.name);
    this.poller = new Poller({ name: options.name, intervalMs: options.intervalMs, work: () => this.round() });
  }

  start(): void {
    if (this.options.enabled) {
      this.poller.start();
    }
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  /** Something fell due just now: run soon rather than at the next interval. */
  nudge(): void {
    this.poller.nudge();
  }

  private round(): Promise<boolean> {
    return this.options.cls.run(async () => {
      const items = await this.options.claim(this.options.batchSize);
      for (const item of items) {
        await this.options.process(item).catch((error: Error) => this.logger.warn(`item failed: ${error.message}`));
      }
      return items.length === this.options.batchSize;
    });
  }
}
