import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { inBackgroundLane } from '@app/common';
import { SessionState } from './session-state';

/** Sessions settled in one statement, at most. */
const BATCH = 500;
const STOP_GRACE_MS = 2_000;

/**
 * Settles sessions after their rules' outcomes have committed (§13: a session's status follows its
 * rules). An outcome settles in its own transaction the sessions it decided and no one holds; it
 * hands the settler every other session it touched once it has committed, and goes on to its next
 * firewall; one loop per instance settles what has gathered meanwhile, one statement per batch.
 * A session is settled only after the outcome that decided it has committed, so the settle sees
 * it. The queue is only a shortcut: if this instance dies first, or a batch fails,
 * SessionSettleSweep finds the sessions (every rule decided, status not yet) and settles them.
 */
@Injectable()
export class SessionSettler implements OnApplicationShutdown {
  private readonly logger = new Logger('SessionSettler');
  private readonly waiting = new Set<string>();
  private running?: Promise<void>;

  constructor(
    private readonly sessions: SessionState,
    private readonly cls: ClsService,
  ) {}

  /** Settles these sessions soon (their outcome must have committed). */
  settleSoon(sessionIds: Iterable<string>): void {
    for (const id of sessionIds) {
      this.waiting.add(id);
    }
    this.kick();
  }

  /** What is in hand is finished, briefly: the sweep settles what a stopping instance leaves. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.race([this.idle(), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
  }

  /** Resolves once every session handed over so far is settled (or left to the sweep). */
  async idle(): Promise<void> {
    while (this.running) {
      await this.running;
    }
  }

  private kick(): void {
    if (this.running || this.waiting.size === 0) {
      return;
    }
    // drain() never rejects; sessions handed over while it was finishing start the next one.
    this.running = inBackgroundLane(() => this.drain()).finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    // Let the outcomes finishing at about the same time join this batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.waiting.size > 0) {
      const batch = [...this.waiting].slice(0, BATCH);
      batch.forEach((id) => this.waiting.delete(id));
      // A second try for a transient failure (a deadlock with a stop); after that, the sweep.
      for (let attempt = 1; attempt <= 2; attempt++) {
        try {
          await this.cls.run({ ifNested: 'override' }, () => this.sessions.settle(batch));
          break;
        } catch (error) {
          if (attempt === 2) {
            this.logger.warn(`settling ${batch.length} session(s) failed, left to the settle sweep: ${(error as Error).message}`);
          }
        }
      }
    }
  }
}
