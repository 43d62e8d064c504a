import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { GrantLedger } from './grant-ledger';
import { SessionState } from './session-state';
import { rows } from './sql';

export type CallResult = { ok: true } | { ok: false; reason: string; retryAt: Date | null; mayHaveApplied: boolean };

/**
 * Writes what a provider call did, in one transaction with the grants locked: the grants' states,
 * their holders' view of them, and the sessions' statuses that follow. Every update is conditional
 * on the state the call started from, so a stop that arrived meanwhile is never overwritten.
 */
@Injectable()
export class FirewallOutcomeRecorder {
  constructor(
    private readonly txHost: TxHost,
    private readonly ledger: GrantLedger,
    private readonly sessions: SessionState,
  ) {}

  async applied(grantIds: string[], result: CallResult): Promise<void> {
    if (grantIds.length === 0) {
      return;
    }
    await this.txHost.withTransaction(async () => {
      await this.ledger.lockGrants('id = ANY($1)', [grantIds]);
      const touched: string[] = [];
      if (result.ok) {
        // One statement for the grants and both kinds of holders: the holders of grants this call applied.
        touched.push(
          ...(await this.sessionIds(
            `WITH done AS (
               UPDATE access_grants SET status = 'APPLIED', applied_at = now(), last_error = NULL, attempts = attempts + 1, updated_at = now()
               WHERE id = ANY($1) AND status = 'PENDING' RETURNING id),
             static_targets AS (
               UPDATE static_ip_rule_resources SET status = 'APPLIED', applied_at = now(), error_message = NULL
               WHERE grant_id IN (SELECT id FROM done) AND holds AND status = 'PENDING')
             UPDATE session_rules SET status = 'APPLIED', applied_at = now(), error_message = NULL
             WHERE grant_id IN (SELECT id FROM done) AND holds AND status = 'PENDING' RETURNING session_id`,
            [grantIds],
          )),
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
        const failed = await this.ids(
          `UPDATE access_grants SET status = $2, attempts = attempts + 1, last_error = $3, next_attempt_at = now(), updated_at = now()
           WHERE id = ANY($1) AND status = 'PENDING' RETURNING id`,
          [grantIds, result.mayHaveApplied ? 'REMOVING' : 'FAILED', result.reason],
        );
        touched.push(
          ...(await this.sessionIds(
            `UPDATE session_rules SET status = 'FAILED', holds = false, error_message = $2
             WHERE grant_id = ANY($1) AND holds RETURNING session_id`,
            [failed, result.reason],
          )),
        );
        await this.query(
          `UPDATE static_ip_rule_resources SET status = 'FAILED', holds = false, error_message = $2 WHERE grant_id = ANY($1) AND holds`,
          [failed, result.reason],
        );
      }
      await this.settle(touched);
    });
  }

  async removed(grantIds: string[], result: CallResult): Promise<void> {
    if (grantIds.length === 0) {
      return;
    }
    await this.txHost.withTransaction(async () => {
      await this.ledger.lockGrants('id = ANY($1)', [grantIds]);
      if (result.ok) {
        // Only grants still without holders: one taken again meanwhile is PENDING now and stays.
        const touched = await this.sessionIds(
          `WITH done AS (
             UPDATE access_grants SET status = 'REMOVED', removed_at = now(), last_error = NULL, updated_at = now()
             WHERE id = ANY($1) AND status = 'REMOVING' RETURNING id)
           UPDATE session_rules SET status = 'REMOVED', removed_at = now(), error_message = NULL
           WHERE grant_id IN (SELECT id FROM done) AND status = 'REMOVING' RETURNING session_id`,
          [grantIds],
        );
        await this.settle(touched);
      } else {
        await this.query(
          `UPDATE access_grants SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = now()
           WHERE id = ANY($1) AND status = 'REMOVING'`,
          [grantIds, result.reason, result.retryAt ?? new Date(Date.now() + 300_000)],
        );
        // A rule stuck in REMOVING shows its last error (§13).
        await this.query(`UPDATE session_rules SET error_message = $2 WHERE grant_id = ANY($1) AND status = 'REMOVING'`, [
          grantIds,
          result.reason,
        ]);
      }
    });
  }

  private async settle(sessionIds: string[]): Promise<void> {
    await this.sessions.settle(sessionIds);
  }

  private async ids(sql: string, parameters: unknown[]): Promise<string[]> {
    const found: Array<{ id: string }> = await this.query(sql, parameters);
    return found.map((row) => row.id);
  }

  private async sessionIds(sql: string, parameters: unknown[]): Promise<string[]> {
    const found: Array<{ session_id: string }> = await this.query(sql, parameters);
    return found.map((row) => row.session_id);
  }

  private query<T = any>(sql: string, parameters: unknown[]): Promise<T> {
    return rows(this.txHost.tx, sql, parameters) as Promise<T>;
  }
}
