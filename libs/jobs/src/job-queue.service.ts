import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TxHost } from '@app/database';
import { CommitNudgeSubscriber } from './commit-nudge.subscriber';
import { EnqueueOptions, JobHandler, ProcessOptions } from './job-handler';
import { JOBS_SETTINGS, JobsSettings } from './jobs-settings';
import { JobsRepository } from './jobs.repository';
import { QueueWorker } from './queue.worker';

export const DEFAULT_MAX_ATTEMPTS = 10;
const QUEUE_NAME = /^[a-z0-9][a-z0-9._:-]{0,99}$/;

/**
 * The durable job queue: rows in PostgreSQL (or PGlite), written in the caller's transaction,
 * claimed by any instance with FOR UPDATE SKIP LOCKED and a lease. At least once: handlers
 * must be idempotent (see JobHandler).
 */
@Injectable()
export class JobQueue implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly workers = new Map<string, QueueWorker>();
  private readonly commitNudges = new CommitNudgeSubscriber((queue) => this.nudge(queue));
  private bootstrapped = false;

  constructor(
    private readonly repository: JobsRepository,
    private readonly txHost: TxHost,
    private readonly cls: ClsService,
    private readonly dataSource: DataSource,
    @Inject(JOBS_SETTINGS) private readonly settings: JobsSettings,
  ) {}

  /**
   * Adds a job in the current transaction (or on its own, outside one): it exists if and only if
   * the caller's change commits. Returns the job's id. Workers on this instance are woken once the
   * transaction has committed; other instances find the job at their next poll.
   */
  async enqueue(queue: string, payload: Record<string, unknown>, options: EnqueueOptions = {}): Promise<string> {
    if (!QUEUE_NAME.test(queue)) {
      throw new Error(`invalid queue name "${queue}"`);
    }
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new Error('maxAttempts must be a whole number of at least 1');
    }
    const id = options.id ?? randomUUID();
    await this.repository.insert({ id, queue, payload, maxAttempts, runAt: options.runAt });
    const runner = this.txHost.tx.queryRunner;
    if (runner?.isTransactionActive) {
      this.commitNudges.afterCommitOf(runner, queue);
    } else {
      this.nudge(queue);
    }
    return id;
  }

  /**
   * Registers this instance's handler for a queue (one per queue). It polls on its own once the
   * app has started, unless JOBS_ENABLED=false; then only `start` or `runOnce` run it.
   */
  process<P extends object = Record<string, unknown>>(queue: string, handler: JobHandler<P>, options: ProcessOptions): void {
    if (this.workers.has(queue)) {
      throw new Error(`queue "${queue}" already has a handler on this instance`);
    }
    if (!Number.isFinite(options.leaseSeconds) || options.leaseSeconds < 1) {
      throw new Error('leaseSeconds must be at least 1');
    }
    const worker = new QueueWorker(queue, handler as JobHandler, options, this.repository, this.cls, this.settings.pollSeconds * 1000);
    this.workers.set(queue, worker);
    if (this.bootstrapped && this.settings.enabled) {
      worker.start();
    }
  }

  /** Polls a queue from now on, whatever JOBS_ENABLED says (tests start workers this way). */
  start(queue: string): void {
    this.worker(queue).start();
  }

  /** Runs one round of a queue now (claim, run, record), whatever JOBS_ENABLED says; returns how many jobs it claimed. */
  runOnce(queue: string): Promise<number> {
    return this.worker(queue).round();
  }

  /** Something became due on this instance: a polling worker of that queue looks now rather than at its next tick. */
  nudge(queue: string): void {
    this.workers.get(queue)?.nudge();
  }

  /** Stops one queue's worker after the jobs in hand (tests: "this instance died"). */
  async stop(queue: string): Promise<void> {
    await this.workers.get(queue)?.stop();
  }

  onModuleInit(): void {
    this.dataSource.subscribers.push(this.commitNudges);
  }

  onApplicationBootstrap(): void {
    this.bootstrapped = true;
    if (this.settings.enabled) {
      this.workers.forEach((worker) => worker.start());
    }
  }

  /** Before the database closes: the jobs in hand finish (briefly); unfinished claims fall due again. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.workers.values()].map((worker) => worker.stop()));
    const index = this.dataSource.subscribers.indexOf(this.commitNudges);
    if (index >= 0) {
      this.dataSource.subscribers.splice(index, 1);
    }
  }

  private worker(queue: string): QueueWorker {
    const worker = this.workers.get(queue);
    if (!worker) {
      throw new Error(`queue "${queue}" has no handler on this instance`);
    }
    return worker;
  }
}
