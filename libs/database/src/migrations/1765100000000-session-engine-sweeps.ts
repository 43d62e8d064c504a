import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two background sweeps over sessions, each on what it needs:
 * - expiry is claimed like the engine's other work: an instance takes a batch of expired sessions
 *   for a lease (SKIP LOCKED), so instances share the expiries out instead of all racing for the
 *   same ones, and a session claimed by an instance that died is taken again once the lease ends;
 * - sessions left PENDING or EXPIRING are found through a partial index that holds only those
 *   (few, and briefly), so that looking for stragglers costs nothing at any number of sessions.
 */
export class SessionEngineSweeps1765100000000 implements MigrationInterface {
  name = 'SessionEngineSweeps1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sessions ADD COLUMN expiry_claimed_until timestamptz`);
    await q.query(`CREATE INDEX ix_sessions_settling ON sessions (created_at) WHERE status IN ('PENDING', 'EXPIRING')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_sessions_settling`);
    await q.query(`ALTER TABLE sessions DROP COLUMN expiry_claimed_until`);
  }
}
