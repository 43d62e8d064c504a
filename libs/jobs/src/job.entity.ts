import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const JOB_STATUSES = ['PENDING', 'DONE', 'FAILED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * One unit of background work (see the migration JobsAndMail1764600000000). The id is made by
 * the caller's side (JobQueue.enqueue), so a payload can be sealed to it before the insert.
 */
@Entity({ name: 'jobs' })
// The migration's inline CHECKs got PostgreSQL's default names; TypeORM compares checks by name.
@Check('jobs_status_check', `status IN ('PENDING', 'DONE', 'FAILED')`)
@Check('jobs_max_attempts_check', `max_attempts >= 1`)
// Partial (WHERE status = 'PENDING') in the migration; TypeORM compares an index by name and columns.
@Index('ix_jobs_due', ['queue', 'runAt'], { where: `status = 'PENDING'` })
@Index('ix_jobs_finished', ['finishedAt'], { where: `status <> 'PENDING'` })
export class Job {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  queue!: string;

  /** A JSON object; what the queue's handler reads (typed there). */
  @Column({ type: 'jsonb', default: {} })
  payload!: object;

  @Column({ type: 'varchar', length: 10, default: 'PENDING' })
  status!: JobStatus;

  /** Claims so far, counted when a worker takes the job; also the claim's fencing token. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'max_attempts', type: 'integer' })
  maxAttempts!: number;

  /** Not before this (retries are scheduled here). */
  @Column({ name: 'run_at', type: 'timestamptz', default: () => 'now()' })
  runAt!: Date;

  /** The lease of the worker that holds the job; null when no one does. */
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  /** Short, and never a secret: handlers throw errors whose message is safe to store. */
  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
