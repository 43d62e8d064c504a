import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { GrantLedger } from './grant-ledger';
import { SessionSettler } from './session-settler';
import { SessionState } from './session-state';
import { rows } from './sql';

export type CallResult = { ok: true } | { ok: false; reason: string; retryAt: Date | null; mayHaveApplied: boolean };

/**
 * Writes what a provider call did: the grants' states and their holders' view of them, in one
 * statement under the grants' locks; then the statuses of the sessions that may have changed (in
 * the same transaction when free, else by the SessionSettler). Every update is conditional on the
 * state the call started from, so a stop that arrived meanwhile is never overwritten.
 */
@Injectable()
export class FirewallOutcomeRecorder {
  constructor(
    private readonly txHost: TxHost,
    private readonly ledger: GrantLedger,
    private readonly sessions: SessionState,
    private readonly settler: SessionSettler,
  ) {}

  async applied(grantIds: string[], result: CallResult): Promise<void> {
    if (grantIds.length === 0) {
      return;
    }
    if (result.ok) {
      await this.writeAndSettle(
        `WITH done AS (
             UPDATE access_grants SET status = 'APPLIED', applied_at = now(), last_error = NULL, attempts = attempts + 1, updated_at = now()
             WHERE id = ANY($1) AND status = 'PENDING' RETURNING id),
           static_targets AS (
             UPDATE static_ip_rule_resources SET status = 'APPLIED', applied_at = now(), error_message = NULL
             WHERE grant_id IN (SELECT id FROM done) AND holds AND status = 'PENDING')
           UPDATE session_rules SET status = 'APPLIED', applied_at = now(), error_message = NULL
           WHERE grant_id IN (SELECT id FROM done) AND holds AND status = 'PENDING' RETURNING session_id`,
        [grantIds],
      );
    } else if (result.retryAt) {
      await this.query(
        `UPDATE access_grants SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = now()
         WHERE id = ANY($1) AND status = 'PENDING'`,
        [grantIds, result.reason, result.retryAt],
      );
    } else {
      // Given up: the holders see FAILED and let go. A call that may have reached the provider
      // (it timed out) is followed by a removal, so nothing is left open by a late success.
      await this.writeAndSettle(
        `WITH failed AS (
             UPDATE access_grants SET status = $2, attempts = attempts + 1, last_error = $3, next_attempt_at = now(), updated_at = now()
             WHERE id = ANY($1) AND status = 'PENDING' RETURNING id),
           static_targets AS (
             UPDATE static_ip_rule_resources SET status = 'FAILED', holds = false, error_message = $3
             WHERE grant_id IN (SELECT id FROM failed) AND holds)
           UPDATE session_rules SET status = 'FAILED', holds = false, error_message = $3
           WHERE grant_id IN (SELECT id FROM failed) AND holds RETURNING session_id`,
        [grantIds, result.mayHaveApplied ? 'REMOVING' : 'FAILED', result.reason],
      );
    }
  }

  async removed(grantIds: string[], result: CallResult): Promise<void> {
    if (grantIds.length === 0) {
      return;
    }
    if (result.ok) {
      // Only grants still without holders: one taken again meanwhile is PENDING now and stays.
      await this.writeAndSettle(
        `WITH done AS (
             UPDATE access_grants SET status = 'REMOVED', removed_at = now(), last_error = NULL, updated_at = now()
             WHERE id = ANY($1) AND status = 'REMOVING' RETURNING id)
           UPDATE session_rules SET status = 'REMOVED', removed_at = now(), error_message = NULL
           WHERE grant_id IN (SELECT id FROM done) AND status = 'REMOVING' RETURNING session_id`,
        [grantIds],
      );
      return;
    }
    await this.query(
      // A rule stuck in REMOVING shows its last error (§13).
      `WITH retried AS (
         UPDATE access_grants SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = now()
         WHERE id = ANY($1) AND status = 'REMOVING' RETURNING id)
       UPDATE session_rules SET error_message = $2 WHERE grant_id IN (SELECT id FROM retried) AND status = 'REMOVING'`,
      [grantIds, result.reason, result.retryAt ?? new Date(Date.now() + 300_000)],
    );
  }

  /**
   * Writes the outcome (see `write`) and settles the sessions it touched. Those it decided that no
   * other transaction holds are settled in its transaction, never waiting for a session's row (the
   * grants' locks are held meanwhile). Every other one goes to the settler once this has committed:
   * a session whose other rules another call is writing at the same time is settled after both
   * have committed, whichever commits last.
   */
  private async writeAndSettle(sql: string, parameters: [string[], ...unknown[]]): Promise<void> {
    const unsettled = await this.txHost.withTransaction(async () => {
      const found = await this.writeLocked<{ session_id: string }>(sql, parameters);
      return this.sessions.settleFree(found.map((row) => row.session_id));
    });
    this.settler.settleSoon(unsettled);
  }

  private async query(sql: string, parameters: [string[], ...unknown[]]): Promise<void> {
    await this.write(sql, parameters);
  }

  /**
   * Locks the grants first, in a statement of its own: the write that follows then starts after
   * every transaction that held them has committed, and sees the holders those added. (In one
   * statement, its snapshot would predate the wait for the locks, and miss them.)
   */
  private write<T>(sql: string, parameters: [string[], ...unknown[]]): Promise<T[]> {
    return this.txHost.withTransaction(() => this.writeLocked<T>(sql, parameters));
  }

  private async writeLocked<T>(sql: string, parameters: [string[], ...unknown[]]): Promise<T[]> {
    await this.ledger.lockGrants('id = ANY($1)', [parameters[0]]);
    return rows<T>(this.txHost.tx, sql, parameters);
  }
}
