import { Logger } from '@nestjs/common';
import { inBackgroundLane } from '../database/background-lane';

export interface PollerOptions {
  name: string;
  intervalMs: number;
  /** One round of work; returns true when there may be more to do right away. */
  work: () => Promise<boolean>;
}

/**
 * Runs `work` every interval, one round at a time in this process. Work must claim its rows
 * in the database (e.g. SKIP LOCKED), so that many instances polling never do a job twice.
 */
export class Poller {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;

  constructor(private readonly options: PollerOptions) {
    this.logger = new Logger(options.name);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Something became due now (a create, a rotation): run soon instead of at the next tick. */
  nudge(): void {
    if (this.stopped) {
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running) {
      return;
    }
    let more = false;
    this.running = (async () => {
      try {
        more = await inBackgroundLane(() => this.options.work());
      } catch (error) {
        this.logger.warn(`round failed: ${(error as Error).message}`);
      }
    })();
    await this.running;
    this.running = undefined;
    if (!this.stopped) {
      const now = more || this.again;
      this.again = false;
      this.schedule(now ? 0 : this.options.intervalMs);
    }
  }
}
