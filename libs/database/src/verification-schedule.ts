import { EntityManager } from 'typeorm';
import { runSql } from './sql';

/** The tables whose rows carry a `verify_due_at` schedule. */
export type VerifiableTable = 'credentials' | 'resources';

export interface DueRow {
  organizationId: string;
  id: string;
}

/**
 * Claims rows due for verification. Pushing `verify_due_at` forward by a lease inside the
 * claim, with SKIP LOCKED, means no two instances take the same row in a round, and a row
 * whose instance died becomes due again when the lease runs out.
 */
export async function claimDueRows(manager: EntityManager, table: VerifiableTable, limit: number, leaseMinutes: number): Promise<DueRow[]> {
  const { rows } = await runSql<{ organization_id: string; id: string }>(
    manager,
    `UPDATE ${table} SET verify_due_at = now() + make_interval(mins => $2)
     WHERE id IN (SELECT id FROM ${table} WHERE verify_due_at <= now() ORDER BY verify_due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING organization_id, id`,
    [limit, leaseMinutes],
  );
  return rows.map((row) => ({ organizationId: row.organization_id, id: row.id }));
}

/**
 * The provider could not be asked (timeout, throttling, network): the verdict stays as it was,
 * the reason is noted, and the row falls due again after `retryInMinutes`.
 */
export async function postponeVerification(
  manager: EntityManager,
  table: VerifiableTable,
  row: DueRow,
  reason: string,
  retryInMinutes: number,
): Promise<void> {
  await runSql(
    manager,
    `UPDATE ${table} SET verification_error = $3, verify_due_at = now() + make_interval(mins => $4)
     WHERE organization_id = $1 AND id = $2`,
    [row.organizationId, row.id, reason, retryInMinutes],
  );
}
