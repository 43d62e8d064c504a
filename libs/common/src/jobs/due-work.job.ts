import { Logger } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { inBackgroundLane } from '../database/background-lane';
import { Poller } from './poller';

const STOP_GRACE_MS = 2_000;
/**
 * cls.run() copies the surrounding context by default: a round woken from inside a request's
 * transaction would claim and run on that transaction's connection. Rounds and items always
 * start in an empty context of their own.
 */
const FRESH_CONTEXT = { ifNested: 'override' } as const;

export interface DueWorkJobOptions<T> {
  name: string;
  enabled: boolean;
  intervalMs: number;
  batchSize: number;
  cls: ClsService;
  /** Claims up to `limit` due items in the database, so that no other instance takes them. */
  claim(limit: number): Promise<T[]>;
  process(item: T): Promise<void>;
  /** How many items run at once (default 1): slow items (a provider timing out) do not queue the rest. */
  concurrency?: number;
  /** Items are started round-robin over this key (an organization), so no one key's items go first. */
  fairnessKey?: (item: T) => string;
  /**
   * Keep every slot busy: when the claimed items run out, a free slot claims more at once (as many
   * as there are free slots), and the round lasts until a claim finds nothing, instead of waiting
   * for its slowest item.
   */
  refill?: boolean;
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
  /** Set by a nudge: a refilling round that found nothing due claims again before it ends. */
  private nudged = false;
  /** The refilling round under way, told at once of a nudge. */
  private pump?: () => void;

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
    this.nudged = true;
    this.pump?.();
    this.poller.nudge();
  }

  private round(): Promise<boolean> {
    return this.options.cls.run(FRESH_CONTEXT, async () => {
      this.nudged = false;
      const first = this.order(await this.options.claim(this.options.batchSize));
      return this.options.refill ? this.refillingRound(first) : this.batchRound(first);
    });
  }

  /** Works the batch with `concurrency` slots; true when it was full (more may be due right away). */
  private async batchRound(queue: T[]): Promise<boolean> {
    const full = queue.length === this.options.batchSize;
    const worker = async () => {
      for (let item = queue.shift(); item !== undefined && !this.stopping; item = queue.shift()) {
        await this.run(item);
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    return !this.stopping && full;
  }

  /**
   * Every free slot starts the next item at once; when none is left, free slots claim more (as many
   * as there are free slots, so no claimed item waits while its lease runs). The round ends when
   * nothing runs and a claim found nothing; a nudge meanwhile claims again.
   */
  private refillingRound(first: T[]): Promise<boolean> {
    const queue = [...first];
    let more = first.length > 0;
    let busy = 0;
    let claiming = false;
    return new Promise<boolean>((resolve) => {
      const pump = () => {
        while (!this.stopping && busy < this.concurrency && queue.length > 0) {
          busy += 1;
          void this.run(queue.shift()!).finally(() => {
            busy -= 1;
            pump();
          });
        }
        if (!this.stopping && !claiming && busy < this.concurrency && (more || this.nudged)) {
          claiming = true;
          this.nudged = false;
          this.options
            .claim(this.concurrency - busy)
            .then(
              (claimed) => {
                queue.push(...this.order(claimed));
                more = claimed.length > 0;
              },
              (error: Error) => {
                // The items in hand still finish; the next round claims again.
                this.logger.warn(`claim failed: ${error.message}`);
                more = false;
              },
            )
            .finally(() => {
              claiming = false;
              pump();
            });
          return;
        }
        if (busy === 0 && !claiming) {
          this.pump = undefined;
          resolve(false);
        }
      };
      // A nudge comes from a request's transaction ending: its claim runs in an empty context of its own.
      this.pump = () => inBackgroundLane(() => this.options.cls.run(FRESH_CONTEXT, pump));
      pump();
    });
  }

  private get concurrency(): number {
    return Math.max(1, this.options.concurrency ?? 1);
  }

  /** Each item in a context of its own: items run side by side, and transactions live in the context. One failing is logged. */
  private run(item: T): Promise<void> {
    return this.options.cls
      .run(FRESH_CONTEXT, () => this.options.process(item))
      .catch((error: Error) => this.logger.warn(`item failed: ${error.message}`));
  }

  private order(items: T[]): T[] {
    return this.options.fairnessKey ? interleave(items, this.options.fairnessKey) : [...items];
  }
}

/** Round-robin over keys, keeping each key's own order: a, b, a, c, b, a ... */
export function interleave<T>(items: readonly T[], key: (item: T) => string): T[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) {
      group.push(item);
    } else {
      groups.set(k, [item]);
    }
  }
  const out: T[] = [];
  for (let i = 0; out.length < items.length; i++) {
    for (const group of groups.values()) {
      if (i < group.length) {
        out.push(group[i]);
      }
    }
  }
  return out;
}
