import { Injectable } from '@nestjs/common';
import { QueryDeepPartialEntity, Repository } from 'typeorm';
import { TxHost } from '@app/database';
import { Job } from './job.entity';

/** A job a worker holds: `attempts` is the claim's fencing token. */
export interface ClaimedJob {
  id: string;
  queue: string;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
}

export interface NewJob {
  id: string;
  queue: string;
  payload: Record<string, unknown>;
  maxAttempts: number;
  runAt?: Date;
}

interface ClaimedRow {
  id: string;
  queue: string;
  payload: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
}

/**
 * The jobs table. Every write but `insert` is fenced by (id, attempts, PENDING): a worker whose
 * lease ran out, and whose job another instance took over, can no longer finish or reschedule it.
 */
@Injectable()
export class JobsRepository {
  constructor(private readonly txHost: TxHost) {}

  /** In the caller's transaction when there is one: the job commits or rolls back with it. */
  async insert(job: NewJob): Promise<void> {
    await this.repository().insert({
      id: job.id,
      queue: job.queue,
      payload: job.payload,
      maxAttempts: job.maxAttempts,
      ...(job.runAt ? { runAt: job.runAt } : {}),
    });
  }

  /**
   * Takes up to `limit` due jobs of a queue: with SKIP LOCKED no two instances take one row, and
   * the lease written in the same statement keeps it out of every later claim until it runs out
   * (the instance died) or the job is finished or rescheduled.
   */
  async claim(queue: string, limit: number, leaseSeconds: number): Promise<ClaimedJob[]> {
    const due = this.repository()
      .createQueryBuilder('job')
      .select('job.id')
      .where('job.queue = :queue', { queue })
      .andWhere(`job.status = 'PENDING'`)
      .andWhere('job.runAt <= now()')
      .andWhere('(job.lockedUntil IS NULL OR job.lockedUntil <= now())')
      .andWhere('job.attempts < job.maxAttempts')
      .orderBy('job.runAt')
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked');
    const result = await this.repository()
      .createQueryBuilder()
      .update()
      .set({ attempts: () => 'attempts + 1', lockedUntil: () => 'now() + make_interval(secs => :leaseSeconds)' })
      .where(`id IN (${due.getQuery()})`)
      .setParameters({ ...due.getParameters(), leaseSeconds })
      .returning(['id', 'queue', 'payload', 'attempts', 'maxAttempts'])
      .updateEntity(false)
      .execute();
    return (result.raw as ClaimedRow[]).map((row) => ({
      id: row.id,
      queue: row.queue,
      payload: row.payload,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
    }));
  }

  /** Returns false when the claim was lost (the lease ran out and another worker took the job). */
  async markDone(job: ClaimedJob, clearPayload: boolean): Promise<boolean> {
    return this.finish(job, { status: 'DONE', lastError: null }, clearPayload);
  }

  async markFailed(job: ClaimedJob, error: string, clearPayload: boolean): Promise<boolean> {
    return this.finish(job, { status: 'FAILED', lastError: error }, clearPayload);
  }

  /** Back to PENDING, due again in `delaySeconds`. */
  async scheduleRetry(job: ClaimedJob, error: string, delaySeconds: number): Promise<boolean> {
    const result = await this.fenced(job, {
      lockedUntil: null,
      lastError: error,
      runAt: () => 'now() + make_interval(secs => :delaySeconds)',
    })
      .setParameter('delaySeconds', delaySeconds)
      .execute();
    return result.affected === 1;
  }

  /**
   * Jobs whose last allowed attempt was claimed and never finished (the instance died while
   * running it): FAILED once the lease has run out, since no claim will take them again.
   */
  async failAbandoned(queue: string, clearPayload: boolean): Promise<number> {
    const result = await this.repository()
      .createQueryBuilder()
      .update()
      .set({
        status: 'FAILED',
        lockedUntil: null,
        finishedAt: () => 'now()',
        lastError: 'The last attempt never finished (its worker stopped or died)',
        ...(clearPayload ? { payload: {} } : {}),
      } as QueryDeepPartialEntity<Job>)
      .where(`queue = :queue AND status = 'PENDING' AND attempts >= max_attempts AND locked_until <= now()`, { queue })
      .updateEntity(false)
      .execute();
    return result.affected ?? 0;
  }

  /** Deletes up to `limit` jobs that finished (DONE or FAILED) more than `days` days ago; SKIP LOCKED. */
  async deleteFinished(days: number, limit: number): Promise<number> {
    const result = await this.repository()
      .createQueryBuilder()
      .delete()
      .where(
        `id IN (SELECT id FROM jobs WHERE status <> 'PENDING' AND finished_at < now() - make_interval(days => :days)
          ORDER BY finished_at LIMIT :limit FOR UPDATE SKIP LOCKED)`,
        { days, limit },
      )
      .execute();
    return result.affected ?? 0;
  }

  private async finish(job: ClaimedJob, change: Pick<Job, 'status' | 'lastError'>, clearPayload: boolean): Promise<boolean> {
    const result = await this.fenced(job, {
      ...change,
      lockedUntil: null,
      finishedAt: () => 'now()',
      ...(clearPayload ? { payload: {} } : {}),
    }).execute();
    return result.affected === 1;
  }

  private fenced(job: ClaimedJob, change: QueryDeepPartialEntity<Job>) {
    return this.repository()
      .createQueryBuilder()
      .update()
      .set(change)
      .where(`id = :id AND attempts = :attempts AND status = 'PENDING'`, { id: job.id, attempts: job.attempts })
      .updateEntity(false);
  }

  private repository(): Repository<Job> {
    return this.txHost.tx.getRepository(Job);
  }
}
