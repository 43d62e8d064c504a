import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Expiry is claimed like the engine's other work: an instance takes a batch of expired sessions
 * for a lease (SKIP LOCKED), so instances share the expiries out instead of all racing for the
 * same ones, and a session claimed by an instance that died is taken again once the lease ends.
 */
export class SessionExpiryClaim1765100000000 implements MigrationInterface {
  name = 'SessionExpiryClaim1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sessions ADD COLUMN expiry_claimed_until timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sessions DROP COLUMN expiry_claimed_until`);
  }
}
