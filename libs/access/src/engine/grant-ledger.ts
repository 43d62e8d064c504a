import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { AccessGrant, RuleStatus } from '../entities/access-grant.entity';
import { SessionState } from './session-state';
import { rows } from './sql';
import { WorkSchedule } from './work-schedule';

/** Who holds grants: a session's rule, or a static rule's target. Both tables carry grant_id, holds, status. */
export type HolderKind = 'SESSION' | 'STATIC';
export const HOLDER_TABLE: Record<HolderKind, string> = { SESSION: 'session_rules', STATIC: 'static_ip_rule_resources' };

export interface NewHold {
  holderId: string;
  organizationId: string;
  resourceId: string;
  cidr: string;
  /** Shown on the provider (AWS): names EntryGuard and the holder. */
  description: string;
}

type LockedGrant = Pick<AccessGrant, 'id' | 'resourceId' | 'cidr' | 'status' | 'applyStartedAt'> & { organizationId: string };

/**
 * The reference counts (§13): a grant exists on the provider while at least one holder row has
 * `holds = true`. Every change runs in the caller's transaction with the grant rows locked, in one
 * order (resource, CIDR) everywhere, so concurrent starts, stops and engine runs serialize per
 * grant and never deadlock on each other. Lock order across the engine: grants, then holder rows,
 * then sessions, then resource_sync.
 */
@Injectable()
export class GrantLedger {
  constructor(
    private readonly txHost: TxHost,
    private readonly schedule: WorkSchedule,
    private readonly sessions: SessionState,
  ) {}

  /** Each holder takes its grant, creating it on first need; returns each holder's status (APPLIED when the rule is already there). */
  async hold(kind: HolderKind, holds: NewHold[]): Promise<Map<string, RuleStatus>> {
    const statuses = new Map<string, RuleStatus>();
    const due = new Map<string, string>();
    const handedOver: string[] = [];
    const sorted = [...holds].sort((a, b) => compare(a.resourceId, b.resourceId) || compare(a.cidr, b.cidr));
    for (const hold of sorted) {
      await this.query(
        `INSERT INTO access_grants (organization_id, resource_id, cidr, status, description, pending_since, next_attempt_at)
         VALUES ($1, $2, $3, 'PENDING', $4, now(), now()) ON CONFLICT (resource_id, cidr) DO NOTHING`,
        [hold.organizationId, hold.resourceId, hold.cidr, hold.description],
      );
      const [grant] = await this.lockGrants(`resource_id = $1 AND cidr = $2`, [hold.resourceId, hold.cidr]);
      let status: RuleStatus = grant.status === 'APPLIED' ? 'APPLIED' : 'PENDING';
      if (grant.status !== 'APPLIED' && grant.status !== 'PENDING') {
        // Removed, failed, or on its way out with no holder left: applied again for this holder.
        await this.query(
          `UPDATE access_grants SET status = 'PENDING', description = $2, pending_since = now(), next_attempt_at = now(), attempts = 0,
             last_error = NULL, apply_started_at = CASE WHEN status = 'REMOVED' THEN NULL ELSE apply_started_at END, updated_at = now()
           WHERE id = $1`,
          [grant.id, hold.description],
        );
        // Sessions that were letting go of this rule are done: the rule now stays for its new holder.
        const done = await rows<{ session_id: string }>(
          this.txHost.tx,
          `UPDATE session_rules SET status = 'REMOVED', removed_at = now() WHERE grant_id = $1 AND status = 'REMOVING' RETURNING session_id`,
          [grant.id],
        );
        handedOver.push(...done.map((row) => row.session_id));
        status = 'PENDING';
      }
      await this.query(
        `UPDATE ${HOLDER_TABLE[kind]} SET grant_id = $2, holds = true, status = $3::varchar, applied_at = CASE WHEN $3::varchar = 'APPLIED' THEN now() END
         WHERE id = $1`,
        [hold.holderId, grant.id, status],
      );
      statuses.set(hold.holderId, status);
      if (status === 'PENDING') {
        due.set(hold.resourceId, hold.organizationId);
      }
    }
    // An ending session whose last rule was handed over is over (EXPIRED or CANCELLED).
    await this.sessions.settle(handedOver);
    await this.schedule.markDue(due);
    return statuses;
  }

  /**
   * Lets go of the holders' grants. A grant someone else still holds stays; one nobody holds is
   * removed: at once in the database if no call could have added it yet (so a stop during PENDING
   * never reaches the provider), else by the engine. Returns, per holder, REMOVED or REMOVING.
   */
  async release(kind: HolderKind, holderIds: string[]): Promise<Map<string, RuleStatus>> {
    const result = new Map<string, RuleStatus>();
    if (holderIds.length === 0) {
      return result;
    }
    const holders: Array<{ id: string; grant_id: string }> = await this.query(
      `SELECT id, grant_id FROM ${HOLDER_TABLE[kind]} WHERE id = ANY($1) AND holds AND grant_id IS NOT NULL`,
      [holderIds],
    );
    const grants = await this.lockGrants(`id = ANY($1)`, [[...new Set(holders.map((h) => h.grant_id))]]);
    const due = new Map<string, string>();
    for (const grant of grants) {
      const mine = holders.filter((h) => h.grant_id === grant.id).map((h) => h.id);
      await this.query(`UPDATE ${HOLDER_TABLE[kind]} SET holds = false WHERE id = ANY($1)`, [mine]);
      const remaining = await this.holderCount(grant.id);
      let status: RuleStatus = 'REMOVED';
      if (remaining === 0 && (grant.status === 'APPLIED' || grant.status === 'PENDING')) {
        if (grant.status === 'PENDING' && grant.applyStartedAt === null) {
          await this.query(`UPDATE access_grants SET status = 'REMOVED', removed_at = now(), updated_at = now() WHERE id = $1`, [grant.id]);
        } else {
          await this.query(
            `UPDATE access_grants SET status = 'REMOVING', next_attempt_at = now(), attempts = 0, last_error = NULL, updated_at = now() WHERE id = $1`,
            [grant.id],
          );
          status = 'REMOVING';
          due.set(grant.resourceId, grant.organizationId);
        }
      }
      mine.forEach((id) => result.set(id, status));
    }
    await this.schedule.markDue(due);
    return result;
  }

  /** Live holders of a resource's grants, by kind: what makes a resource "in use". */
  async holdersOfResource(resourceId: string): Promise<{ sessions: number; staticRules: number; removing: number }> {
    const [row]: Array<{ sessions: string; static_rules: string; removing: string }> = await this.query(
      `SELECT (SELECT count(DISTINCT r.session_id) FROM session_rules r JOIN access_grants g ON g.id = r.grant_id
                WHERE g.resource_id = $1 AND r.holds) AS sessions,
              (SELECT count(DISTINCT t.rule_id) FROM static_ip_rule_resources t WHERE t.resource_id = $1) AS static_rules,
              (SELECT count(*) FROM access_grants g WHERE g.resource_id = $1 AND g.status IN ('REMOVING', 'PENDING')) AS removing`,
      [resourceId],
    );
    return { sessions: Number(row.sessions), staticRules: Number(row.static_rules), removing: Number(row.removing) };
  }

  async holderCount(grantId: string): Promise<number> {
    const [row]: Array<{ n: string }> = await this.query(
      `SELECT (SELECT count(*) FROM session_rules WHERE grant_id = $1 AND holds)
            + (SELECT count(*) FROM static_ip_rule_resources WHERE grant_id = $1 AND holds) AS n`,
      [grantId],
    );
    return Number(row.n);
  }

  /** Locks grants in the engine's one order. */
  async lockGrants(where: string, parameters: unknown[]): Promise<LockedGrant[]> {
    const rows: Array<{
      id: string;
      organization_id: string;
      resource_id: string;
      cidr: string;
      status: RuleStatus;
      apply_started_at: Date | null;
    }> = await this.query(
      `SELECT id, organization_id, resource_id, cidr, status, apply_started_at FROM access_grants WHERE ${where}
         ORDER BY resource_id, cidr COLLATE "C" FOR UPDATE`,
      parameters,
    );
    return rows.map((row) => ({
      id: row.id,
      organizationId: row.organization_id,
      resourceId: row.resource_id,
      cidr: row.cidr,
      status: row.status,
      applyStartedAt: row.apply_started_at,
    }));
  }

  private query<T = any>(sql: string, parameters: unknown[]): Promise<T> {
    return this.txHost.tx.query(sql, parameters) as Promise<T>;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
