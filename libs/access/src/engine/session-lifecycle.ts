import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import type { SessionEndReason, SessionStatus } from '../entities/session.entity';
import { GrantLedger, Holder } from './grant-ledger';
import { RULE_DESCRIPTION_PREFIX } from './firewall-reconciler';
import { SessionRule } from '../entities/session-rule.entity';
import type { RuleStatus } from '../entities/access-grant.entity';
import { Session } from '../entities/session.entity';
import { nextSessionStatus } from './session-state';
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

export interface OpenedSession {
  session: Session;
  /** By resource name, then IP version, as reads of a session list them. */
  rules: SessionRule[];
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
    private readonly audit: AuditService,
  ) {}

  /**
   * Inserts the session and one rule per resource and address, and takes their grants. Returns the
   * session and its rules as written, so that the caller can answer without reading them again.
   */
  async open(input: OpenSession): Promise<OpenedSession> {
    const addresses = [
      ...(input.ipv4Address ? [{ version: 4, address: input.ipv4Address, cidr: `${input.ipv4Address}/32` }] : []),
      ...(input.ipv6Address ? [{ version: 6, address: input.ipv6Address, cidr: `${input.ipv6Address}/128` }] : []),
    ];
    // In the engine's lock order (resource, CIDR): the grants are created or locked in this order.
    const wanted = input.resources
      .flatMap((resource) => addresses.map((address) => ({ resource, address })))
      .sort((a, b) => compare(a.resource.resourceId, b.resource.resourceId) || compare(a.address.cidr, b.address.cidr));
    // One statement: the session; its grants, created or locked (DO UPDATE, a no-op, is what locks an
    // existing grant, and answers its newest version once any transaction holding it has ended); and
    // its rules, each holding its grant, APPLIED at once when the rule is on the provider already.
    // The rules come back ordered as every read of a session orders them (the database's collation).
    const written = await rows<{
      session_id: string;
      session_created_at: Date;
      id: string | null;
      resource_id: string;
      resource_name: string;
      ip_version: number;
      ip_address: string;
      grant_id: string;
      status: RuleStatus;
      applied_at: Date | null;
      created_at: Date;
      grant_cidr: string;
      grant_status: RuleStatus;
      grant_apply_started_at: Date | null;
    }>(
      this.txHost.tx,
      `WITH session AS (
         INSERT INTO sessions (organization_id, user_id, user_name, user_email, ipv4_address, ipv6_address, status, started_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7, $8) RETURNING id, created_at),
       wanted AS (
         SELECT * FROM unnest($9::uuid[], $10::varchar[], $11::smallint[], $12::varchar[], $13::varchar[]) WITH ORDINALITY
           AS t(resource_id, resource_name, ip_version, ip_address, cidr, n)),
       grants AS (
         INSERT INTO access_grants (organization_id, resource_id, cidr, status, description, pending_since, next_attempt_at)
         SELECT $1, w.resource_id, w.cidr, 'PENDING', $14::text || ' session ' || session.id, now(), now()
         FROM session, wanted w ORDER BY w.n
         ON CONFLICT (resource_id, cidr) DO UPDATE SET status = access_grants.status
         RETURNING id, resource_id, cidr, status, apply_started_at),
       inserted AS (
         INSERT INTO session_rules (organization_id, session_id, resource_id, resource_name, ip_version, ip_address, status, grant_id, holds, applied_at)
         SELECT $1, session.id, w.resource_id, w.resource_name, w.ip_version, w.ip_address,
           CASE WHEN g.status = 'APPLIED' THEN 'APPLIED' ELSE 'PENDING' END, g.id, true, CASE WHEN g.status = 'APPLIED' THEN now() END
         FROM session, wanted w JOIN grants g ON g.resource_id = w.resource_id AND g.cidr = w.cidr
         RETURNING id, resource_id, resource_name, ip_version, ip_address, grant_id, status, applied_at, created_at)
       SELECT s.id AS session_id, s.created_at AS session_created_at, i.*,
         g.cidr AS grant_cidr, g.status AS grant_status, g.apply_started_at AS grant_apply_started_at
       FROM session s LEFT JOIN inserted i ON true LEFT JOIN grants g ON g.id = i.grant_id
       ORDER BY i.resource_name, i.ip_version`,
      [
        input.organizationId,
        input.userId,
        input.userName,
        input.userEmail,
        input.ipv4Address,
        input.ipv6Address,
        input.startedAt,
        input.expiresAt,
        wanted.map((w) => w.resource.resourceId),
        wanted.map((w) => w.resource.resourceName),
        wanted.map((w) => w.address.version),
        wanted.map((w) => w.address.address),
        wanted.map((w) => w.address.cidr),
        RULE_DESCRIPTION_PREFIX,
      ],
    );
    const created = { id: written[0].session_id, created_at: written[0].session_created_at };
    const inserted = written.filter((rule): rule is typeof rule & { id: string } => rule.id !== null);
    const grants = [...new Map(inserted.map((rule) => [rule.grant_id, rule])).values()].map((rule) => ({
      id: rule.grant_id,
      organizationId: input.organizationId,
      resourceId: rule.resource_id,
      cidr: rule.grant_cidr,
      status: rule.grant_status,
      applyStartedAt: rule.grant_apply_started_at,
    }));
    await this.ledger.taken(grants, () => `${RULE_DESCRIPTION_PREFIX} session ${created.id}`);
    const session = Object.assign(new Session(), {
      id: created.id,
      organizationId: input.organizationId,
      userId: input.userId,
      userName: input.userName,
      userEmail: input.userEmail,
      ipv4Address: input.ipv4Address,
      ipv6Address: input.ipv6Address,
      status: 'PENDING' as SessionStatus,
      startedAt: input.startedAt,
      expiresAt: input.expiresAt,
      endedAt: null,
      endedReason: null,
      expiryClaimedUntil: null,
      createdAt: created.created_at,
    });
    const sessionRules = inserted.map((rule) =>
      Object.assign(new SessionRule(), {
        id: rule.id,
        organizationId: input.organizationId,
        sessionId: created.id,
        resourceId: rule.resource_id,
        resourceName: rule.resource_name,
        ipVersion: rule.ip_version,
        ipAddress: rule.ip_address,
        grantId: rule.grant_id,
        holds: true,
        status: rule.status,
        providerRuleId: null,
        appliedAt: rule.applied_at,
        removedAt: null,
        errorMessage: null,
        createdAt: rule.created_at,
      }),
    );
    // Every rule may already be on the provider for someone else: then the session is ACTIVE at once.
    const applied = sessionRules.filter((rule) => rule.status === 'APPLIED').length;
    const status = nextSessionStatus('PENDING', null, { APPLIED: applied, PENDING: sessionRules.length - applied });
    if (status !== 'PENDING') {
      await this.txHost.tx.query(`UPDATE sessions SET status = $2 WHERE id = $1`, [created.id, status]);
      session.status = status;
    }
    return { session, rules: sessionRules };
  }

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

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
