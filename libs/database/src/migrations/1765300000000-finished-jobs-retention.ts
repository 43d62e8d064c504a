import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finished jobs are deleted once past their retention (FinishedJobsSweep): the sweep finds them
 * through a partial index of finished rows by age, not by reading the whole table.
 */
export class FinishedJobsRetention1765300000000 implements MigrationInterface {
  name = 'FinishedJobsRetention1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ix_jobs_finished ON jobs (finished_at) WHERE status <> 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_jobs_finished`);
  }
}
