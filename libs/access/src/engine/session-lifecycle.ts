import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import type { SessionEndReason, SessionStatus } from '../entities/session.entity';
import { GrantLedger, Holder } from './grant-ledger';
import { nextSessionStatus } from './session-state';
import { rows } from './sql';

const END_EVENT: Record<SessionEndReason, 'SESSION_EXPIRE' | 'SESSION_STOP' | 'SESSION_ADMIN_STOP' | 'SESSION_END_USER_REMOVED'> = {
  EXPIRED: 'SESSION_EXPIRE',
  MANUAL: 'SESSION_STOP',
  ADMIN: 'SESSION_ADMIN_STOP',
  USER_REMOVED: 'SESSION_END_USER_REMOVED',
};

/**
 * Ending sessions as the engine sees them: a session's rules let go of their grants, in the
 * caller's transaction, with the audit row. Starting is SessionOpening's.
 */
@Injectable()
export class SessionLifecycle {
  constructor(
    private readonly txHost: TxHost,
    private readonly ledger: GrantLedger,
    private readonly audit: AuditService,
  ) {}

  /**
   * Ends a live session: EXPIRING, its holders let go, then EXPIRED or CANCELLED once the last rule
   * is removed. Returns false (and changes nothing) when the session is not live, or for expiry when
   * it was extended meanwhile.
   */
  async end(organizationId: string, sessionId: string, reason: SessionEndReason): Promise<boolean> {
    return (await this.endMany([{ organizationId, id: sessionId }], reason)).size === 1;
  }

  /**
   * `end` for many sessions in one go (expiry's batches, a user's sessions), in the caller's
   * transaction: a handful of statements whatever their number. Sessions not live (or, for expiry,
   * not past their end any more) are left alone. Returns the ids it ended. Lock order as everywhere
   * in the engine: grants, then sessions and their rules.
   */
  async endMany(targets: Array<{ organizationId: string; id: string }>, reason: SessionEndReason): Promise<Set<string>> {
    const ended = new Set<string>();
    if (targets.length === 0) {
      return ended;
    }
    const keys = [targets.map((t) => t.id), targets.map((t) => t.organizationId)];
    const holding = await rows<{ grant_id: string }>(
      this.txHost.tx,
      `SELECT DISTINCT r.grant_id FROM session_rules r JOIN unnest($1::uuid[], $2::uuid[]) AS t(id, org) ON r.session_id = t.id AND r.organization_id = t.org
       WHERE r.holds AND r.grant_id IS NOT NULL`,
      keys,
    );
    const grants = await this.ledger.lockGrants('id = ANY($1)', [holding.map((rule) => rule.grant_id)]);
    const sessions = await rows<{
      id: string;
      organization_id: string;
      status: SessionStatus;
      expired: boolean;
      ipv4_address: string | null;
      ipv6_address: string | null;
      user_email: string;
      rule_count: string;
      duration_hours: string;
    }>(
      this.txHost.tx,
      `SELECT s.id, s.organization_id, s.status, s.expires_at <= now() AS expired, s.ipv4_address, s.ipv6_address, s.user_email,
         (SELECT count(DISTINCT resource_id) FROM session_rules WHERE session_id = s.id) AS rule_count,
         round(extract(epoch FROM (s.expires_at - s.started_at)) / 3600, 2) AS duration_hours
       FROM sessions s JOIN unnest($1::uuid[], $2::uuid[]) AS t(id, org) ON s.id = t.id AND s.organization_id = t.org
       ORDER BY s.id FOR UPDATE OF s`,
      keys,
    );
    const live = sessions.filter(
      (session) => ['PENDING', 'ACTIVE', 'PARTIAL'].includes(session.status) && (reason !== 'EXPIRED' || session.expired),
    );
    if (live.length === 0) {
      return ended;
    }
    const liveIds = live.map((session) => session.id);
    const stillHolding = await rows<Holder & { session_id: string }>(
      this.txHost.tx,
      `SELECT id, grant_id, session_id FROM session_rules WHERE session_id = ANY($1) AND holds AND grant_id IS NOT NULL ORDER BY id FOR UPDATE`,
      [liveIds],
    );
    // A rule's grant never changes once held, so the grants locked above are all of these rules' grants.
    const released = await this.ledger.releaseLocked('SESSION', stillHolding, grants);
    const removing = stillHolding.filter((rule) => released.get(rule.id) === 'REMOVING');
    // The rest of the sessions' live rules are done now, including those still waiting for their first call (never applied now).
    await rows(
      this.txHost.tx,
      `UPDATE session_rules SET status = CASE WHEN id = ANY($2) THEN 'REMOVING' ELSE 'REMOVED' END,
         removed_at = CASE WHEN id = ANY($2) THEN NULL ELSE now() END
       WHERE session_id = ANY($1) AND (id = ANY($3) OR status = 'PENDING')`,
      [liveIds, removing.map((rule) => rule.id), [...released.keys()]],
    );
    // Every other rule of a session is FAILED or REMOVED already: only the ones being removed keep it EXPIRING.
    const statuses = live.map((session) =>
      nextSessionStatus('EXPIRING', reason, { REMOVING: removing.filter((rule) => rule.session_id === session.id).length }),
    );
    await rows(
      this.txHost.tx,
      `UPDATE sessions s SET status = t.status, ended_at = now(), ended_reason = $3
       FROM unnest($1::uuid[], $2::varchar[]) AS t(id, status) WHERE s.id = t.id`,
      [liveIds, statuses, reason],
    );
    for (const session of live) {
      await this.audit.record({
        eventType: END_EVENT[reason],
        organizationId: session.organization_id,
        actor: reason === 'EXPIRED' ? { type: 'SYSTEM' } : undefined,
        targetType: 'SESSION',
        targetId: session.id,
        targetName: session.user_email,
        details: {
          ipv4Address: session.ipv4_address,
          ipv6Address: session.ipv6_address,
          durationHours: Number(session.duration_hours),
          resourceCount: Number(session.rule_count),
          reason,
        },
      });
      ended.add(session.id);
    }
    return ended;
  }

  /**
   * Claims live sessions past their end for the expiry job, for `leaseSeconds`: SKIP LOCKED and the
   * lease keep instances off each other's batches (`endMany` still re-checks each under its lock).
   * One statement, and it never waits for a lock, so it stays outside the engine's lock order.
   */
  async claimExpired(limit: number, leaseSeconds: number): Promise<Array<{ id: string; organizationId: string }>> {
    const found = await rows<{ id: string; organization_id: string }>(
      this.txHost.tx,
      `UPDATE sessions SET expiry_claimed_until = now() + make_interval(secs => $2)
       WHERE id IN (
         SELECT id FROM sessions WHERE status IN ('PENDING', 'ACTIVE', 'PARTIAL') AND expires_at <= now()
           AND (expiry_claimed_until IS NULL OR expiry_claimed_until < now())
         ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, organization_id`,
      [limit, leaseSeconds],
    );
    return found.map((row) => ({ id: row.id, organizationId: row.organization_id }));
  }

  /** Gives claimed expiries back (their attempt failed), so that the next round tries again rather than after the lease. */
  async unclaimExpiry(sessionIds: string[]): Promise<void> {
    await this.txHost.tx.query(`UPDATE sessions SET expiry_claimed_until = NULL WHERE id = ANY($1)`, [sessionIds]);
  }

  /** A user lost access: every live session of theirs ends with USER_REMOVED, in the removal's transaction. */
  async endAllOf(organizationId: string, userId: string): Promise<number> {
    const live = await rows<{ id: string }>(
      this.txHost.tx,
      `SELECT id FROM sessions WHERE organization_id = $1 AND user_id = $2 AND status IN ('PENDING', 'ACTIVE', 'PARTIAL') ORDER BY id`,
      [organizationId, userId],
    );
    const ended = await this.endMany(
      live.map((session) => ({ organizationId, id: session.id })),
      'USER_REMOVED',
    );
    return ended.size;
  }
}
