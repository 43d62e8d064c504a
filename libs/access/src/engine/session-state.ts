import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { SessionStatus } from '../entities/session.entity';
import { rows } from './sql';

type Counts = Partial<Record<'PENDING' | 'APPLIED' | 'FAILED' | 'REMOVING' | 'REMOVED', number>>;

/**
 * A session's status follows its rules (§13): PENDING until every rule is decided, then ACTIVE
 * (all applied), PARTIAL (some) or FAILED (none; terminal). An ending session is EXPIRING until
 * its last rule is removed, then EXPIRED (time ran out) or CANCELLED (stopped, or its user removed).
 */
export function nextSessionStatus(current: SessionStatus, endedReason: string | null, counts: Counts): SessionStatus {
  const pending = counts.PENDING ?? 0;
  const applied = counts.APPLIED ?? 0;
  const failed = counts.FAILED ?? 0;
  const removing = counts.REMOVING ?? 0;
  if (current === 'EXPIRING') {
    if (removing > 0 || pending > 0 || applied > 0) {
      return current;
    }
    return endedReason === 'EXPIRED' ? 'EXPIRED' : 'CANCELLED';
  }
  if (current !== 'PENDING' && current !== 'ACTIVE' && current !== 'PARTIAL') {
    return current;
  }
  if (pending > 0) {
    return current;
  }
  if (failed === 0 && applied > 0) {
    return 'ACTIVE';
  }
  if (applied === 0) {
    return 'FAILED';
  }
  return 'PARTIAL';
}

/** `nextSessionStatus` may answer something new: no rule PENDING, and an ending session holds nothing on the provider. */
const MAY_CHANGE = `s.status IN ('PENDING', 'ACTIVE', 'PARTIAL', 'EXPIRING') AND NOT EXISTS (
  SELECT 1 FROM session_rules r WHERE r.session_id = s.id AND (r.status = 'PENDING' OR (s.status = 'EXPIRING' AND r.status IN ('REMOVING', 'APPLIED'))))`;

/**
 * `nextSessionStatus` in SQL, over a session row `s` and its rules' counts `c` (columns pending,
 * applied, failed, removing; null when the session has no rule). A test holds the two equal for
 * every status and every mix of rules.
 */
const NEXT_STATUS = `CASE
  WHEN s.status = 'EXPIRING' THEN CASE
    WHEN coalesce(c.removing, 0) > 0 OR coalesce(c.pending, 0) > 0 OR coalesce(c.applied, 0) > 0 THEN s.status
    WHEN s.ended_reason = 'EXPIRED' THEN 'EXPIRED' ELSE 'CANCELLED' END
  WHEN s.status NOT IN ('PENDING', 'ACTIVE', 'PARTIAL') THEN s.status
  WHEN coalesce(c.pending, 0) > 0 THEN s.status
  WHEN coalesce(c.failed, 0) = 0 AND coalesce(c.applied, 0) > 0 THEN 'ACTIVE'
  WHEN coalesce(c.applied, 0) = 0 THEN 'FAILED'
  ELSE 'PARTIAL' END`;

@Injectable()
export class SessionState {
  constructor(private readonly txHost: TxHost) {}

  /**
   * Sessions left PENDING or EXPIRING although every rule of theirs is decided, for at least
   * `graceSeconds`: what remains when an instance died between writing an outcome and settling.
   */
  async stragglers(limit: number, graceSeconds: number): Promise<string[]> {
    const found = await rows<{ id: string }>(
      this.txHost.tx,
      `SELECT s.id FROM sessions s WHERE s.status IN ('PENDING', 'EXPIRING')
         AND coalesce(s.ended_at, s.created_at) < now() - make_interval(secs => $2) AND ${MAY_CHANGE}
       ORDER BY s.created_at LIMIT $1`,
      [limit, graceSeconds],
    );
    return found.map((row) => row.id);
  }

  /**
   * Recomputes the statuses of those of these sessions whose rules are all decided (the rest cannot
   * change until another rule does); returns the ones that changed. In the caller's transaction,
   * which it needs: the sessions are locked first, in id order (as everywhere), and their rules are
   * counted by the next statement, whose snapshot then includes everything that held those locks.
   * Call it after the rule changes it is to see have committed.
   */
  async settle(sessionIds: Iterable<string>): Promise<Array<{ id: string; status: SessionStatus }>> {
    const ids = [...new Set(sessionIds)];
    if (ids.length === 0) {
      return [];
    }
    return this.recount(await this.lockDecided(ids, 'wait'));
  }

  /**
   * `settle` for the sessions no other transaction holds, without waiting for any: for an outcome's
   * own transaction, after its write (a queue on a session's row there would hold the grants' locks).
   * Returns the sessions it did not settle (held by another transaction, or not yet decided in what
   * this transaction sees); the caller hands those to the settler once it has committed.
   */
  async settleFree(sessionIds: Iterable<string>): Promise<string[]> {
    const ids = [...new Set(sessionIds)];
    if (ids.length === 0) {
      return [];
    }
    const locked = new Set(await this.lockDecided(ids, 'skip'));
    await this.recount([...locked]);
    return ids.filter((id) => !locked.has(id));
  }

  /** Of these sessions, locks (in id order) the ones whose rules are all decided; 'skip' passes over those another transaction holds. */
  private async lockDecided(ids: string[], held: 'wait' | 'skip'): Promise<string[]> {
    const found = await rows<{ id: string }>(
      this.txHost.tx,
      held === 'wait'
        ? `SELECT s.id FROM sessions s WHERE s.id = ANY($1) AND ${MAY_CHANGE} ORDER BY s.id FOR UPDATE`
        : `SELECT s.id FROM sessions s WHERE s.id = ANY($1) AND ${MAY_CHANGE} ORDER BY s.id FOR UPDATE SKIP LOCKED`,
      [ids],
    );
    return found.map((row) => row.id);
  }

  /** Counts the rules of these sessions, which this transaction has locked, and sets their status. */
  private async recount(lockedIds: string[]): Promise<Array<{ id: string; status: SessionStatus }>> {
    if (lockedIds.length === 0) {
      return [];
    }
    return rows<{ id: string; status: SessionStatus }>(
      this.txHost.tx,
      `WITH counts AS (
         SELECT session_id, count(*) FILTER (WHERE status = 'PENDING') AS pending, count(*) FILTER (WHERE status = 'APPLIED') AS applied,
           count(*) FILTER (WHERE status = 'FAILED') AS failed, count(*) FILTER (WHERE status = 'REMOVING') AS removing
         FROM session_rules WHERE session_id = ANY($1) GROUP BY session_id)
       UPDATE sessions s SET status = ${NEXT_STATUS}, ended_at = CASE WHEN ${NEXT_STATUS} = 'FAILED' THEN now() ELSE s.ended_at END
       FROM unnest($1::uuid[]) AS l(id) LEFT JOIN counts c ON c.session_id = l.id
       WHERE s.id = l.id AND ${NEXT_STATUS} <> s.status
       RETURNING s.id, s.status`,
      [lockedIds],
    );
  }
}
