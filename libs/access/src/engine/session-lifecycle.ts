import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { SessionEndReason, SessionStatus } from '../entities/session.entity';
import { GrantLedger } from './grant-ledger';
import { RULE_DESCRIPTION_PREFIX } from './firewall-reconciler';
import { SessionState } from './session-state';
import { rows } from './sql';

export interface SessionTarget {
  resourceId: string;
  resourceName: string;
}

export interface OpenSession {
  organizationId: string;
  userId: string;
  userName: string | null;
  userEmail: string;
  ipv4Address: string | null;
  ipv6Address: string | null;
  expiresAt: Date;
  startedAt: Date;
  resources: SessionTarget[];
}

const END_EVENT: Record<SessionEndReason, 'SESSION_EXPIRE' | 'SESSION_STOP' | 'SESSION_ADMIN_STOP' | 'SESSION_END_USER_REMOVED'> = {
  EXPIRED: 'SESSION_EXPIRE',
  MANUAL: 'SESSION_STOP',
  ADMIN: 'SESSION_ADMIN_STOP',
  USER_REMOVED: 'SESSION_END_USER_REMOVED',
};

/**
 * Starting and ending sessions as the engine sees them: a session's rules become grant holders
 * when it starts and let go when it ends, in the caller's transaction, with the audit row.
 */
@Injectable()
export class SessionLifecycle {
  constructor(
    private readonly txHost: TxHost,
    private readonly ledger: GrantLedger,
    private readonly state: SessionState,
    private readonly audit: AuditService,
  ) {}

  /** Inserts the session and one rule per resource and address, and takes their grants. Returns the session id. */
  async open(input: OpenSession): Promise<string> {
    const [session] = await rows<{ id: string }>(
      this.txHost.tx,
      `INSERT INTO sessions (organization_id, user_id, user_name, user_email, ipv4_address, ipv6_address, status, started_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7, $8) RETURNING id`,
      [
        input.organizationId,
        input.userId,
        input.userName,
        input.userEmail,
        input.ipv4Address,
        input.ipv6Address,
        input.startedAt,
        input.expiresAt,
      ],
    );
    const addresses = [
      ...(input.ipv4Address ? [{ version: 4, address: input.ipv4Address, cidr: `${input.ipv4Address}/32` }] : []),
      ...(input.ipv6Address ? [{ version: 6, address: input.ipv6Address, cidr: `${input.ipv6Address}/128` }] : []),
    ];
    const holds = [];
    for (const resource of input.resources) {
      for (const address of addresses) {
        const [rule] = await rows<{ id: string }>(
          this.txHost.tx,
          `INSERT INTO session_rules (organization_id, session_id, resource_id, resource_name, ip_version, ip_address, status)
           VALUES ($1, $2, $3, $4, $5, $6, 'PENDING') RETURNING id`,
          [input.organizationId, session.id, resource.resourceId, resource.resourceName, address.version, address.address],
        );
        holds.push({
          holderId: rule.id,
          organizationId: input.organizationId,
          resourceId: resource.resourceId,
          cidr: address.cidr,
          description: `${RULE_DESCRIPTION_PREFIX} session ${session.id}`,
        });
      }
    }
    await this.ledger.hold('SESSION', holds);
    // Every rule may already be on the provider for someone else: then the session is ACTIVE at once.
    await this.state.settle([session.id]);
    return session.id;
  }

  /**
   * Ends a live session: EXPIRING, its holders let go, then EXPIRED or CANCELLED once the last rule
   * is removed. Returns false (and changes nothing) when the session is not live, or for expiry when
   * it was extended meanwhile. Lock order as everywhere in the engine: grants, rules, session.
   */
  async end(organizationId: string, sessionId: string, reason: SessionEndReason): Promise<boolean> {
    const holding = await rows<{ id: string; grant_id: string }>(
      this.txHost.tx,
      `SELECT id, grant_id FROM session_rules WHERE session_id = $1 AND organization_id = $2 AND holds AND grant_id IS NOT NULL`,
      [sessionId, organizationId],
    );
    await this.ledger.lockGrants('id = ANY($1)', [[...new Set(holding.map((rule) => rule.grant_id))]]);
    const [session] = await rows<{
      id: string;
      status: SessionStatus;
      expired: boolean;
      ipv4_address: string | null;
      ipv6_address: string | null;
      user_email: string;
      rule_count: string;
      duration_hours: string;
    }>(
      this.txHost.tx,
      `SELECT s.id, s.status, s.expires_at <= now() AS expired, s.ipv4_address, s.ipv6_address, s.user_email,
         (SELECT count(DISTINCT resource_id) FROM session_rules WHERE session_id = s.id) AS rule_count,
         round(extract(epoch FROM (s.expires_at - s.started_at)) / 3600, 2) AS duration_hours
       FROM sessions s WHERE s.id = $1 AND s.organization_id = $2 FOR UPDATE`,
      [sessionId, organizationId],
    );
    if (!session || !['PENDING', 'ACTIVE', 'PARTIAL'].includes(session.status) || (reason === 'EXPIRED' && !session.expired)) {
      return false;
    }
    const stillHolding = await rows<{ id: string }>(
      this.txHost.tx,
      `SELECT id FROM session_rules WHERE session_id = $1 AND holds ORDER BY id FOR UPDATE`,
      [sessionId],
    );
    const released = await this.ledger.release(
      'SESSION',
      stillHolding.map((rule) => rule.id),
    );
    for (const status of ['REMOVED', 'REMOVING'] as const) {
      const ids = [...released].filter(([, s]) => s === status).map(([id]) => id);
      if (ids.length > 0) {
        await this.txHost.tx.query(
          `UPDATE session_rules SET status = $2::varchar, removed_at = CASE WHEN $2::varchar = 'REMOVED' THEN now() END WHERE id = ANY($1)`,
          [ids, status],
        );
      }
    }
    // Rules still waiting for their first call are never applied now.
    await this.txHost.tx.query(
      `UPDATE session_rules SET status = 'REMOVED', removed_at = now() WHERE session_id = $1 AND status = 'PENDING'`,
      [sessionId],
    );
    await this.txHost.tx.query(`UPDATE sessions SET status = 'EXPIRING', ended_at = now(), ended_reason = $2 WHERE id = $1`, [
      sessionId,
      reason,
    ]);
    await this.state.settle([sessionId]);
    await this.audit.record({
      eventType: END_EVENT[reason],
      organizationId,
      actor: reason === 'EXPIRED' ? { type: 'SYSTEM' } : undefined,
      targetType: 'SESSION',
      targetId: sessionId,
      targetName: session.user_email,
      details: {
        ipv4Address: session.ipv4_address,
        ipv6Address: session.ipv6_address,
        durationHours: Number(session.duration_hours),
        resourceCount: Number(session.rule_count),
        reason,
      },
    });
    return true;
  }

  /** Live sessions past their end, for the expiry job (any instance; `end` re-checks under the lock). */
  async expiredSessions(limit: number): Promise<Array<{ id: string; organizationId: string }>> {
    const found = await rows<{ id: string; organization_id: string }>(
      this.txHost.tx,
      `SELECT id, organization_id FROM sessions WHERE status IN ('PENDING', 'ACTIVE', 'PARTIAL') AND expires_at <= now()
       ORDER BY expires_at LIMIT $1`,
      [limit],
    );
    return found.map((row) => ({ id: row.id, organizationId: row.organization_id }));
  }

  /** A user lost access: every live session of theirs ends with USER_REMOVED, in the removal's transaction. */
  async endAllOf(organizationId: string, userId: string): Promise<number> {
    const live = await rows<{ id: string }>(
      this.txHost.tx,
      `SELECT id FROM sessions WHERE organization_id = $1 AND user_id = $2 AND status IN ('PENDING', 'ACTIVE', 'PARTIAL') ORDER BY id`,
      [organizationId, userId],
    );
    let ended = 0;
    for (const session of live) {
      if (await this.end(organizationId, session.id, 'USER_REMOVED')) {
        ended += 1;
      }
    }
    return ended;
  }
}
