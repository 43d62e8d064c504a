import { Injectable } from '@nestjs/common';
import { prepared, TxHost } from '@app/database';
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

/** A holder row and the grant it holds. */
export interface Holder {
  id: string;
  grant_id: string;
}

/** What a holder got: APPLIED at once when the rule is already on the provider for someone else. */
export interface HeldRule {
  grantId: string;
  status: RuleStatus;
  appliedAt: Date | null;
}

export type LockedGrant = Pick<AccessGrant, 'id' | 'resourceId' | 'cidr' | 'status' | 'applyStartedAt'> & { organizationId: string };

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

  /**
   * Each holder takes its grant, creating it on first need; returns each holder's status (APPLIED
   * when the rule is already there) and when it counts as applied. A few statements for any number
   * of holders: grants are created, then locked, in the engine's one order.
   */
  async hold(kind: HolderKind, holds: NewHold[]): Promise<Map<string, HeldRule>> {
    const held = new Map<string, HeldRule>();
    if (holds.length === 0) {
      return held;
    }
    const sorted = [...holds].sort((a, b) => compare(a.resourceId, b.resourceId) || compare(a.cidr, b.cidr));
    // One per (resource, CIDR), still in lock order: holders sharing a grant in one call create and lock it once.
    const perGrant = [...new Map(sorted.map((hold) => [grantKey(hold), hold])).values()];
    // Created, or locked when it exists, in one statement, in lock order. DO UPDATE (a no-op) is what
    // locks an existing grant, and answers its newest version once any transaction holding it has ended.
    const grants = toLocked(
      await this.query(
        `INSERT INTO access_grants (organization_id, resource_id, cidr, status, description, pending_since, next_attempt_at)
         SELECT org, resource, cidr, 'PENDING', description, now(), now()
         FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[]) WITH ORDINALITY AS t(org, resource, cidr, description, n)
         ORDER BY n
         ON CONFLICT (resource_id, cidr) DO UPDATE SET status = access_grants.status
         RETURNING ${LOCKED_COLUMNS}`,
        [
          perGrant.map((hold) => hold.organizationId),
          perGrant.map((hold) => hold.resourceId),
          perGrant.map((hold) => hold.cidr),
          perGrant.map((hold) => hold.description),
        ],
      ),
    );
    const grantOf = new Map(grants.map((grant) => [grantKey(grant), grant]));
    const assigned = sorted.map((hold) => {
      const grant = grantOf.get(grantKey(hold))!;
      const status: RuleStatus = grant.status === 'APPLIED' ? 'APPLIED' : 'PENDING';
      return { holderId: hold.holderId, grantId: grant.id, status };
    });
    const updated = await rows<{ id: string; grant_id: string; status: RuleStatus; applied_at: Date | null }>(
      this.txHost.tx,
      `UPDATE ${HOLDER_TABLE[kind]} h SET grant_id = t.grant_id, holds = true, status = t.status,
         applied_at = CASE WHEN t.status = 'APPLIED' THEN now() END
       FROM unnest($1::uuid[], $2::uuid[], $3::varchar[]) AS t(id, grant_id, status) WHERE h.id = t.id
       RETURNING h.id, h.grant_id, h.status, h.applied_at`,
      [assigned.map((a) => a.holderId), assigned.map((a) => a.grantId), assigned.map((a) => a.status)],
    );
    updated.forEach((row) => held.set(row.id, { grantId: row.grant_id, status: row.status, appliedAt: row.applied_at }));
    const descriptionOf = new Map(perGrant.map((hold) => [grantKey(hold), hold.description]));
    await this.taken(grants, (grant) => descriptionOf.get(grantKey(grant))!);
    return held;
  }

  /**
   * The rest of taking grants, once they are created or locked (as `hold` does, or a session's
   * start in its one statement): a grant that was removed, failed, or on its way out with no holder
   * left is applied again for its new holder, and the sessions that were letting go of it are done;
   * every firewall with a grant not yet applied is marked due.
   */
  async taken(grants: LockedGrant[], descriptionOf: (grant: LockedGrant) => string): Promise<void> {
    const reopened = grants.filter((grant) => grant.status !== 'APPLIED' && grant.status !== 'PENDING');
    if (reopened.length > 0) {
      await this.query(
        `UPDATE access_grants g SET status = 'PENDING', description = t.description, pending_since = now(), next_attempt_at = now(), attempts = 0,
           last_error = NULL, apply_started_at = CASE WHEN g.status = 'REMOVED' THEN NULL ELSE g.apply_started_at END, updated_at = now()
         FROM unnest($1::uuid[], $2::varchar[]) AS t(id, description) WHERE g.id = t.id`,
        [reopened.map((grant) => grant.id), reopened.map(descriptionOf)],
      );
      // Sessions that were letting go of these rules are done: the rules now stay for their new holders.
      const done = await rows<{ session_id: string }>(
        this.txHost.tx,
        `UPDATE session_rules SET status = 'REMOVED', removed_at = now() WHERE grant_id = ANY($1) AND status = 'REMOVING' RETURNING session_id`,
        [reopened.map((grant) => grant.id)],
      );
      // An ending session whose last rule was handed over is over (EXPIRED or CANCELLED).
      await this.sessions.settle(done.map((row) => row.session_id));
    }
    await this.schedule.markDue(
      new Map(grants.filter((grant) => grant.status !== 'APPLIED').map((grant) => [grant.resourceId, grant.organizationId])),
    );
  }

  /**
   * Lets go of the holders' grants. A grant someone else still holds stays; one nobody holds is
   * removed: at once in the database if no call could have added it yet (so a stop during PENDING
   * never reaches the provider), else by the engine. Returns, per holder, REMOVED or REMOVING.
   */
  async release(kind: HolderKind, holderIds: string[]): Promise<Map<string, RuleStatus>> {
    if (holderIds.length === 0) {
      return new Map();
    }
    const holders = await rows<Holder>(
      this.txHost.tx,
      `SELECT id, grant_id FROM ${HOLDER_TABLE[kind]} WHERE id = ANY($1) AND holds AND grant_id IS NOT NULL`,
      [holderIds],
    );
    const grants = await this.lockGrants(`id = ANY($1)`, [[...new Set(holders.map((h) => h.grant_id))]]);
    return this.releaseLocked(kind, holders, grants);
  }

  /** `release` for a caller that has read its holders and locked their grants (in the engine's order) already. */
  async releaseLocked(kind: HolderKind, holders: Holder[], grants: LockedGrant[]): Promise<Map<string, RuleStatus>> {
    const result = new Map<string, RuleStatus>();
    if (holders.length === 0) {
      return result;
    }
    await this.query(`UPDATE ${HOLDER_TABLE[kind]} SET holds = false WHERE id = ANY($1)`, [holders.map((h) => h.id)]);
    const mine = grants.filter((grant) => holders.some((h) => h.grant_id === grant.id));
    const remaining = await this.holderCounts(mine.map((grant) => grant.id));
    const removedNow: string[] = [];
    const removedByEngine: string[] = [];
    const due = new Map<string, string>();
    for (const grant of mine) {
      let status: RuleStatus = 'REMOVED';
      if (remaining.get(grant.id) === 0 && (grant.status === 'APPLIED' || grant.status === 'PENDING')) {
        if (grant.status === 'PENDING' && grant.applyStartedAt === null) {
          removedNow.push(grant.id);
        } else {
          removedByEngine.push(grant.id);
          status = 'REMOVING';
          due.set(grant.resourceId, grant.organizationId);
        }
      }
      holders.filter((h) => h.grant_id === grant.id).forEach((h) => result.set(h.id, status));
    }
    if (removedNow.length > 0) {
      await this.query(`UPDATE access_grants SET status = 'REMOVED', removed_at = now(), updated_at = now() WHERE id = ANY($1)`, [
        removedNow,
      ]);
    }
    if (removedByEngine.length > 0) {
      await this.query(
        `UPDATE access_grants SET status = 'REMOVING', next_attempt_at = now(), attempts = 0, last_error = NULL, updated_at = now() WHERE id = ANY($1)`,
        [removedByEngine],
      );
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

  /** Live holders per grant (sessions' rules and static rules' targets). */
  async holderCounts(grantIds: string[]): Promise<Map<string, number>> {
    const found = await rows<{ id: string; n: string }>(
      this.txHost.tx,
      `SELECT g.id, (SELECT count(*) FROM session_rules WHERE grant_id = g.id AND holds)
                  + (SELECT count(*) FROM static_ip_rule_resources WHERE grant_id = g.id AND holds) AS n
       FROM unnest($1::uuid[]) AS g(id)`,
      [grantIds],
    );
    return new Map(found.map((row) => [row.id, Number(row.n)]));
  }

  /** Locks grants in the engine's one order. */
  async lockGrants(where: string, parameters: unknown[]): Promise<LockedGrant[]> {
    return toLocked(
      await this.query(
        `SELECT ${LOCKED_COLUMNS} FROM access_grants WHERE ${where} ORDER BY resource_id, cidr COLLATE "C" FOR UPDATE`,
        parameters,
      ),
    );
  }

  private query<T = any>(sql: string, parameters: unknown[]): Promise<T> {
    return this.txHost.tx.query(prepared(sql), parameters) as Promise<T>;
  }
}

const LOCKED_COLUMNS = 'id, organization_id, resource_id, cidr, status, apply_started_at';

function toLocked(
  found: Array<{
    id: string;
    organization_id: string;
    resource_id: string;
    cidr: string;
    status: RuleStatus;
    apply_started_at: Date | null;
  }>,
): LockedGrant[] {
  return found.map((row) => ({
    id: row.id,
    organizationId: row.organization_id,
    resourceId: row.resource_id,
    cidr: row.cidr,
    status: row.status,
    applyStartedAt: row.apply_started_at,
  }));
}

function grantKey(grant: { resourceId: string; cidr: string }): string {
  return `${grant.resourceId} ${grant.cidr}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
