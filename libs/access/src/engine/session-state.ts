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

@Injectable()
export class SessionState {
  constructor(private readonly txHost: TxHost) {}

  /**
   * Of these sessions, the ones whose status may change now: every rule decided (none PENDING, and
   * for an ending session none still on the provider). The rest cannot change until another rule does.
   */
  async decided(sessionIds: string[]): Promise<string[]> {
    if (sessionIds.length === 0) {
      return [];
    }
    const found = await rows<{ id: string }>(this.txHost.tx, `SELECT s.id FROM sessions s WHERE s.id = ANY($1) AND ${MAY_CHANGE}`, [
      sessionIds,
    ]);
    return found.map((row) => row.id);
  }

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

  /** Recomputes the sessions' statuses from their rules, in the caller's transaction; returns the ones that changed. */
  async settle(sessionIds: Iterable<string>): Promise<Array<{ id: string; status: SessionStatus }>> {
    const ids = [...new Set(sessionIds)].sort();
    if (ids.length === 0) {
      return [];
    }
    const sessions: Array<{ id: string; status: SessionStatus; ended_reason: string | null }> = await this.txHost.tx.query(
      `SELECT id, status, ended_reason FROM sessions WHERE id = ANY($1) ORDER BY id FOR UPDATE`,
      [ids],
    );
    const counts: Array<{ session_id: string; status: keyof Counts; n: string }> = await this.txHost.tx.query(
      `SELECT session_id, status, count(*) AS n FROM session_rules WHERE session_id = ANY($1) GROUP BY session_id, status`,
      [ids],
    );
    const countsOf = new Map<string, Counts>();
    for (const row of counts) {
      const mine = countsOf.get(row.session_id) ?? {};
      mine[row.status] = Number(row.n);
      countsOf.set(row.session_id, mine);
    }
    const changed = sessions
      .map((session) => ({
        id: session.id,
        status: nextSessionStatus(session.status, session.ended_reason, countsOf.get(session.id) ?? {}),
      }))
      .filter((next, i) => next.status !== sessions[i].status);
    if (changed.length > 0) {
      await this.txHost.tx.query(
        `UPDATE sessions s SET status = t.status, ended_at = CASE WHEN t.status = 'FAILED' THEN now() ELSE s.ended_at END
         FROM unnest($1::uuid[], $2::varchar[]) AS t(id, status) WHERE s.id = t.id`,
        [changed.map((c) => c.id), changed.map((c) => c.status)],
      );
    }
    return changed;
  }
}
