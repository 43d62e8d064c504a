import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a verification checked, as a number that moves whenever it changes: a credential's keys,
 * a resource's target or credential. A verdict is saved only if the revisions it read are still
 * current (§18), so a slow check cannot overwrite the reset a rotation or a move made.
 */
export class VerificationRevision1764400000000 implements MigrationInterface {
  name = 'VerificationRevision1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE credentials ADD COLUMN revision integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE resources ADD COLUMN revision integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resources DROP COLUMN revision`);
    await q.query(`ALTER TABLE credentials DROP COLUMN revision`);
  }
}
