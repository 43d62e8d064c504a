/** What a handler learns about the job it runs. */
export interface JobContext {
  id: string;
  queue: string;
  /** 1 on the first run; a job whose worker died counts that run too. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the lease runs out: another instance may take the job over from then on. */
  signal: AbortSignal;
}

/**
 * Runs one job. At least once: a job can run again after a crash, a lost lease or a failed
 * "done" write, so every handler must be idempotent (doing it twice has the effect of once),
 * or at least harmless when repeated. A thrown error schedules a retry with backoff; its message
 * is stored in `last_error` and logged, so it must carry no secret.
 */
export type JobHandler<P = Record<string, unknown>> = (payload: P, context: JobContext) => Promise<void>;

export interface ProcessOptions {
  /** Jobs of this queue run at once on this instance (each round claims at most this many). */
  concurrency: number;
  /** How long a claim holds; past it another instance may take the job. Longer than a run ever takes. */
  leaseSeconds: number;
  /** Retry delay: base * 2^(attempt - 1), capped (defaults: 5 s, 300 s). */
  backoff?: { baseSeconds?: number; maxSeconds?: number };
  /** Blank the payload once the job is DONE or FAILED (it held a secret, or is no longer needed). */
  clearPayloadWhenFinished?: boolean;
}

export interface EnqueueOptions {
  /** Not before this time (default: now). */
  runAt?: Date;
  /** Runs before the job is FAILED (default 10). */
  maxAttempts?: number;
  /** The job's id, when the payload must be bound to it before the insert (default: a new UUID). */
  id?: string;
}

/** A failure that no retry can fix (bad payload, a permanent refusal): the job is FAILED at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}
