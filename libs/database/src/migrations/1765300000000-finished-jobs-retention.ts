import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finished jobs are deleted once past their retention (FinishedJobsSweep): the sweep finds them
 * through a partial index of finished rows by age, not by reading the whole table.
 *
 * Built CONCURRENTLY, outside a transaction: the table is live (mail is enqueued in request
 * transactions) and may be large by the time this runs, and a plain CREATE INDEX would hold off
 * every enqueue and claim until the build is done. A build that failed half-way leaves an invalid
 * index behind, which the DROP clears before the next try.
 */
export class FinishedJobsRetention1765300000000 implements MigrationInterface {
  name = 'FinishedJobsRetention1765300000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ix_jobs_finished`);
    await q.query(`CREATE INDEX CONCURRENTLY ix_jobs_finished ON jobs (finished_at) WHERE status <> 'PENDING'`);
  }

  /** TypeORM reverts in a transaction whatever `transaction` says, so a plain DROP (quick for an index). */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_jobs_finished`);
  }
}
