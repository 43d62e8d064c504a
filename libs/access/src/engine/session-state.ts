import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { SessionStatus } from '../entities/session.entity';
import { rows } from './sql';

type Counts = Partial<Record<'PENDING' | 'APPLIED' | 'FAILED' | 'REMOVING' | 'REMOVED', number>>;

/**
 * A session's status follows its rules (§13): PENDING until every rule is decided, then ACTIVE
 * (all applied), PARTIAL (some) or FAILED (none; terminal). An ending session is EXPIRING until
 * its last rule is removed, then EXPIRED (time ran out) or CANCELLED (stopped, or its user removed).
 * The engine settles in SQL, with session_next_status (migration EngineOutcomeFunctions); a test
 * holds the two equal for every status and every mix of rules.
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
         AND coalesce(s.ended_at, s.created_at) < now() - make_interval(secs => $2) AND session_may_settle(s.id, s.status)
       ORDER BY s.created_at LIMIT $1`,
      [limit, graceSeconds],
    );
    return found.map((row) => row.id);
  }

  /**
   * Recomputes the statuses of those of these sessions whose rules are all decided (the rest cannot
   * change until another rule does); returns the ones that changed. One statement (the function
   * sessions_settle, see its migration): the sessions are locked first, in id order (as everywhere),
   * and their rules are counted afterwards, by a statement whose snapshot includes everything that
   * held those locks. Call it after the rule changes it is to see have committed.
   */
  async settle(sessionIds: Iterable<string>): Promise<Array<{ id: string; status: SessionStatus }>> {
    const ids = [...new Set(sessionIds)];
    if (ids.length === 0) {
      return [];
    }
    // skip_locked = false: waits for a session another transaction holds (the outcome functions skip those instead).
    const settled = await rows<{ session_id: string; new_status: SessionStatus; changed: boolean }>(
      this.txHost.tx,
      `SELECT session_id, new_status, changed FROM sessions_settle($1::uuid[], false)`,
      [ids],
    );
    return settled.filter((row) => row.changed).map((row) => ({ id: row.session_id, status: row.new_status }));
  }
}
