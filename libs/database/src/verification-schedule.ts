import { ObjectLiteral, QueryDeepPartialEntity, Repository } from 'typeorm';

/** What an entity needs to carry a `verify_due_at` schedule (credentials and resources do). */
export interface VerifiableEntity {
  id: string;
  organizationId: string;
  verifyDueAt: Date;
  lastVerifiedAt: Date | null;
  verificationError: string | null;
}

export interface DueRow {
  organizationId: string;
  id: string;
}

/**
 * Claims rows due for verification. Pushing `verify_due_at` forward by a lease inside the
 * claim, with SKIP LOCKED, means no two instances take the same row in a round, and a row
 * whose instance died becomes due again when the lease runs out. At most `perOrganization`
 * rows of one organization are taken per round, so one tenant's backlog (say, dead endpoints
 * that each take a timeout) cannot fill the batch and starve everyone else (§18).
 */
export async function claimDueRows<T extends VerifiableEntity>(
  repository: Repository<T>,
  limit: number,
  leaseMinutes: number,
  perOrganization: number,
): Promise<DueRow[]> {
  const table = repository.metadata.tableName;
  const due = repository
    .createQueryBuilder('due')
    .select('due.id')
    .where('due.verifyDueAt <= now()')
    // A window function over a derived table has no query-builder form.
    .andWhere(
      `due.id IN (SELECT ranked.id FROM (SELECT id, row_number() OVER (PARTITION BY organization_id ORDER BY verify_due_at, id) AS rank
        FROM ${table} WHERE verify_due_at <= now()) ranked WHERE ranked.rank <= :perOrganization)`,
      { perOrganization },
    )
    .orderBy('due.verifyDueAt')
    .limit(limit)
    .setLock('pessimistic_write')
    .setOnLocked('skip_locked');
  const result = await repository
    .createQueryBuilder()
    .update()
    .set({ verifyDueAt: () => 'now() + make_interval(mins => :leaseMinutes)' } as QueryDeepPartialEntity<T>)
    .where(`id IN (${due.getQuery()})`)
    .setParameters({ ...due.getParameters(), leaseMinutes })
    .returning(['organizationId', 'id'])
    .updateEntity(false)
    .execute();
  return (result.raw as Array<{ organization_id: string; id: string }>).map((row) => ({ organizationId: row.organization_id, id: row.id }));
}

/**
 * The provider could not be asked (timeout, throttling, network): the verdict stays as it was,
 * the reason is noted, and the row falls due again after `retryInMinutes`.
 */
export async function postponeVerification<T extends VerifiableEntity>(
  repository: Repository<T>,
  row: DueRow,
  reason: string,
  retryInMinutes: number,
): Promise<void> {
  await repository
    .createQueryBuilder()
    .update()
    .set({
      verificationError: reason,
      verifyDueAt: () => 'now() + make_interval(mins => :retryInMinutes)',
    } as QueryDeepPartialEntity<T>)
    .where('organization_id = :organizationId AND id = :id', { organizationId: row.organizationId, id: row.id })
    .setParameter('retryInMinutes', retryInMinutes)
    .updateEntity(false)
    .execute();
}

/** The verdict was not saved: what it checked changed while the provider was asked; the row is due again. */
export const STALE_VERDICT = 'stale' as const;

export interface Verdict<T> {
  /** The columns the verdict writes (validity, error); the schedule moves to `nextDueInMinutes`. */
  set: QueryDeepPartialEntity<T>;
  /** The property whose value before the update is returned, so callers can tell a change. */
  previous: keyof T & string;
  /** SQL condition (database column names) that what was checked is still what is stored (§18). */
  unchanged: string;
  parameters: ObjectLiteral;
  nextDueInMinutes: number;
}

/**
 * Saves a verification verdict only if what it checked is unchanged, and returns the value
 * `previous` had; otherwise the row falls due at once (STALE_VERDICT). Deleted meanwhile: undefined.
 * The CTE locks the row and reads the old value before the UPDATE: one statement.
 */
export async function saveVerdict<T extends VerifiableEntity, V>(
  repository: Repository<T>,
  row: DueRow,
  verdict: Verdict<T>,
): Promise<{ previous: V } | typeof STALE_VERDICT | undefined> {
  const where = { organizationId: row.organizationId, id: row.id };
  const old = repository
    .createQueryBuilder('v')
    .select(`v.${verdict.previous}`, 'previous')
    .where('v.organizationId = :organizationId AND v.id = :id', where)
    .setLock('pessimistic_write');
  const updated = await repository
    .createQueryBuilder()
    .update()
    .addCommonTableExpression(old, 'old')
    .set({
      ...verdict.set,
      lastVerifiedAt: () => 'now()',
      verifyDueAt: () => 'now() + make_interval(mins => :nextDueInMinutes)',
    } as QueryDeepPartialEntity<T>)
    .where(`organization_id = :organizationId AND id = :id AND (${verdict.unchanged})`, { ...where, ...verdict.parameters })
    .setParameter('nextDueInMinutes', verdict.nextDueInMinutes)
    .returning('(SELECT previous FROM old) AS previous')
    .updateEntity(false)
    .execute();
  const saved = (updated.raw as Array<{ previous: V }>)[0];
  if (saved) {
    return saved;
  }
  const due = await repository
    .createQueryBuilder()
    .update()
    .set({ verifyDueAt: () => 'now()' } as QueryDeepPartialEntity<T>)
    .where('organization_id = :organizationId AND id = :id', where)
    .updateEntity(false)
    .execute();
  return due.affected ? STALE_VERDICT : undefined;
}
