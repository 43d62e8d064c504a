import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import type { RuleStatus } from '../entities/access-grant.entity';
import { SessionRule } from '../entities/session-rule.entity';
import { Session, SessionStatus } from '../entities/session.entity';
import { RULE_DESCRIPTION_PREFIX } from './firewall-reconciler';
import { GrantLedger } from './grant-ledger';
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

/**
 * Starting a session as the engine sees it: the session and its rules, whose grants they hold from
 * the start, in the caller's transaction (the caller writes the audit row). Ending is SessionLifecycle's.
 */
@Injectable()
export class SessionOpening {
  constructor(
    private readonly txHost: TxHost,
    private readonly ledger: GrantLedger,
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
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
