import { Logger } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { Poller } from '@app/common';
import { DEFAULT_BACKOFF_BASE_SECONDS, DEFAULT_BACKOFF_MAX_SECONDS, retryDelaySeconds } from './backoff';
import { JobHandler, PermanentJobError, ProcessOptions } from './job-handler';
import { ClaimedJob, JobsRepository } from './jobs.repository';

/** On shutdown, the jobs in hand get this long; an unfinished one falls due again when its lease runs out. */
const STOP_GRACE_MS = 3_000;
const MAX_ERROR_LENGTH = 500;
const FRESH_CONTEXT = { ifNested: 'override' } as const;

/** Handlers promise safe messages; this also keeps one line per error and the column's length. */
export function describeJobError(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : 'non-Error value thrown';
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_ERROR_LENGTH) || 'failed';
}

/**
 * The worker of one queue on this instance: each round claims at most `concurrency` due jobs
 * and runs them side by side, each in a context of its own (transactions live in the context).
 * Every claimed job starts at once, so stopping never leaves a claimed job waiting in memory.
 */
export class QueueWorker {
  private readonly logger: Logger;
  private readonly poller: Poller;
  private stopping = false;

  constructor(
    readonly queue: string,
    private readonly handler: JobHandler,
    private readonly options: ProcessOptions,
    private readonly repository: JobsRepository,
    private readonly cls: ClsService,
    intervalMs: number,
  ) {
    this.logger = new Logger(`JobQueue:${queue}`);
    this.poller = new Poller({
      name: `JobQueue:${queue}`,
      intervalMs,
      work: async () => (await this.round()) === this.batchSize(),
    });
  }

  start(): void {
    this.stopping = false;
    this.poller.start();
  }

  nudge(): void {
    this.poller.nudge();
  }

  /** Stops after the jobs in hand; waits for them only briefly, since an unfinished claim falls due again. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.race([this.poller.stop(), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
  }

  /**
   * One round: claims due jobs and runs them; returns how many it claimed. Always in a fresh
   * context: a round woken from inside a request or a transaction (a nudge, and every timer
   * scheduled after it) would otherwise inherit that context, transaction included, and claim
   * and run jobs on the caller's connection, seeing its uncommitted rows.
   */
  round(): Promise<number> {
    return this.cls.run(FRESH_CONTEXT, async () => {
      if (this.stopping) {
        return 0;
      }
      const clear = this.options.clearPayloadWhenFinished ?? false;
      const abandoned = await this.repository.failAbandoned(this.queue, clear);
      if (abandoned > 0) {
        this.logger.error(`${abandoned} job(s) failed: their last attempt never finished`);
      }
      const jobs = await this.repository.claim(this.queue, this.batchSize(), this.options.leaseSeconds);
      await Promise.all(jobs.map((job) => this.cls.run(FRESH_CONTEXT, () => this.run(job))));
      return jobs.length;
    });
  }

  private batchSize(): number {
    return Math.max(1, this.options.concurrency);
  }

  private async run(job: ClaimedJob): Promise<void> {
    const signal = AbortSignal.timeout(this.options.leaseSeconds * 1000);
    const context = { id: job.id, queue: job.queue, attempt: job.attempts, maxAttempts: job.maxAttempts, signal };
    try {
      let outcome: { error: unknown } | undefined;
      try {
        await this.handler(job.payload, context);
      } catch (error) {
        outcome = { error };
      }
      const kept = outcome ? await this.settleFailure(job, outcome.error) : await this.repository.markDone(job, this.clear());
      if (!kept) {
        this.logger.warn(`job ${job.id}: its lease ran out before it finished; another worker has taken it over`);
      }
    } catch (error) {
      // Could not record the outcome (database gone): the job falls due again when the lease runs out.
      this.logger.warn(`job ${job.id}: outcome not recorded: ${describeJobError(error)}`);
    }
  }

  private async settleFailure(job: ClaimedJob, error: unknown): Promise<boolean> {
    const message = describeJobError(error);
    if (error instanceof PermanentJobError || job.attempts >= job.maxAttempts) {
      this.logger.error(`job ${job.id} failed for good after ${job.attempts} attempt(s): ${message}`);
      return this.repository.markFailed(job, message, this.clear());
    }
    const delay = retryDelaySeconds(
      job.attempts,
      this.options.backoff?.baseSeconds ?? DEFAULT_BACKOFF_BASE_SECONDS,
      this.options.backoff?.maxSeconds ?? DEFAULT_BACKOFF_MAX_SECONDS,
    );
    this.logger.warn(`job ${job.id} attempt ${job.attempts}/${job.maxAttempts} failed, retrying in ${delay} s: ${message}`);
    return this.repository.scheduleRetry(job, message, delay);
  }

  private clear(): boolean {
    return this.options.clearPayloadWhenFinished ?? false;
  }
}
