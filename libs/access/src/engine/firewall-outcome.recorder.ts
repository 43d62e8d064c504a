import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { GrantLedger } from './grant-ledger';
import { SessionSettler } from './session-settler';
import { rows } from './sql';

export type CallResult = { ok: true } | { ok: false; reason: string; retryAt: Date | null; mayHaveApplied: boolean };

/**
 * Writes what a provider call did: the grants' states and their holders' view of them, in one
 * statement under the grants' locks; then (SessionSettler) the statuses of the sessions that may have changed. Every update is conditional
 * on the state the call started from, so a stop that arrived meanwhile is never overwritten.
 */
@Injectable()
export class FirewallOutcomeRecorder {
  constructor(
    private readonly txHost: TxHost,
    private readonly ledger: GrantLedger,
    private readonly settler: SessionSettler,
  ) {}

  async applied(grantIds: string[], result: CallResult): Promise<void> {
    if (grantIds.length === 0) {
      return;
    }
    if (result.ok) {
      this.settle(
        await this.sessionIds(
          `WITH done AS (
             UPDATE access_grants SET status = 'APPLIED', applied_at = now(), last_error = NULL, attempts = attempts + 1, updated_at = now()
             WHERE id = ANY($1) AND status = 'PENDING' RETURNING id),
           static_targets AS (
             UPDATE static_ip_rule_resources SET status = 'APPLIED', applied_at = now(), error_message = NULL
             WHERE grant_id IN (SELECT id FROM done) AND holds AND status = 'PENDING')
           UPDATE session_rules SET status = 'APPLIED', applied_at = now(), error_message = NULL
           WHERE grant_id IN (SELECT id FROM done) AND holds AND status = 'PENDING' RETURNING session_id`,
          [grantIds],
        ),
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
      this.settle(
        await this.sessionIds(
          `WITH failed AS (
             UPDATE access_grants SET status = $2, attempts = attempts + 1, last_error = $3, next_attempt_at = now(), updated_at = now()
             WHERE id = ANY($1) AND status = 'PENDING' RETURNING id),
           static_targets AS (
             UPDATE static_ip_rule_resources SET status = 'FAILED', holds = false, error_message = $3
             WHERE grant_id IN (SELECT id FROM failed) AND holds)
           UPDATE session_rules SET status = 'FAILED', holds = false, error_message = $3
           WHERE grant_id IN (SELECT id FROM failed) AND holds RETURNING session_id`,
          [grantIds, result.mayHaveApplied ? 'REMOVING' : 'FAILED', result.reason],
        ),
      );
    }
  }

  async removed(grantIds: string[], result: CallResult): Promise<void> {
    if (grantIds.length === 0) {
      return;
    }
    if (result.ok) {
      // Only grants still without holders: one taken again meanwhile is PENDING now and stays.
      this.settle(
        await this.sessionIds(
          `WITH done AS (
             UPDATE access_grants SET status = 'REMOVED', removed_at = now(), last_error = NULL, updated_at = now()
             WHERE id = ANY($1) AND status = 'REMOVING' RETURNING id)
           UPDATE session_rules SET status = 'REMOVED', removed_at = now(), error_message = NULL
           WHERE grant_id IN (SELECT id FROM done) AND status = 'REMOVING' RETURNING session_id`,
          [grantIds],
        ),
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
   * After the outcome has committed, by the settler (in batches, off the firewall's time): only
   * sessions whose rules are all decided can change status, and those are settled under their
   * lock. A session whose other rules another call is still writing is settled after that call,
   * which commits after this one, so one of the two settles sees both.
   */
  private settle(sessionIds: string[]): void {
    this.settler.settleSoon(sessionIds);
  }

  /** The sessions whose rules the statement changed. */
  private async sessionIds(sql: string, parameters: [string[], ...unknown[]]): Promise<string[]> {
    const found = await this.write<{ session_id: string }>(sql, parameters);
    return [...new Set(found.map((row) => row.session_id))];
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
    return this.txHost.withTransaction(async () => {
      await this.ledger.lockGrants('id = ANY($1)', [parameters[0]]);
      return rows<T>(this.txHost.tx, sql, parameters);
    });
  }
}
