import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The durable job queue (libs/jobs), first used by mail. A job is a row written in the same
 * transaction as the change that needs it; instances claim due rows with FOR UPDATE SKIP LOCKED
 * and a lease (`locked_until`), so one job runs on one instance at a time and a job whose
 * instance died is taken over when the lease runs out. `attempts` moves on every claim and
 * fences the claim: only the worker holding the latest attempt may finish the job.
 */
export class JobsAndMail1764600000000 implements MigrationInterface {
  name = 'JobsAndMail1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY,
        queue varchar(100) NOT NULL,
        payload jsonb NOT NULL DEFAULT '{}',
        status varchar(10) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DONE', 'FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        max_attempts integer NOT NULL CHECK (max_attempts >= 1),
        run_at timestamptz NOT NULL DEFAULT now(),
        locked_until timestamptz,
        last_error varchar(500),
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    // The claim reads only pending rows of one queue, oldest due first; finished rows stay out of it.
    await q.query(`CREATE INDEX ix_jobs_due ON jobs (queue, run_at) WHERE status = 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE jobs`);
  }
}
