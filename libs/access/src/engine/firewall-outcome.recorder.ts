import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { GrantLedger } from './grant-ledger';
import { SessionSettler } from './session-settler';
import type { ClaimedFirewall } from './firewall-sync.repository';
import { rows } from './sql';

export type CallFailure = { ok: false; reason: string; retryAt: Date | null; mayHaveApplied: boolean };
export type CallResult = { ok: true } | CallFailure;

/**
 * Writes what a provider call did: the grants' states and their holders' view of them, under the
 * grants' locks; then the statuses of the sessions that may have changed (in the same transaction
 * when free, else by the SessionSettler). Every update is conditional on the state the call
 * started from, so a stop that arrived meanwhile is never overwritten.
 */
@Injectable()
export class FirewallOutcomeRecorder {
  constructor(
    private readonly txHost: TxHost,
    private readonly ledger: GrantLedger,
    private readonly settler: SessionSettler,
  ) {}

  /**
   * A call that added rules failed: with `retryAt`, the grants wait for it (a transient failure);
   * without, they are given up. (A success is `appliedAndReleased`, the sync's last write.)
   */
  async applyFailed(grantIds: string[], failure: CallFailure): Promise<void> {
    if (grantIds.length === 0) {
      return;
    }
    if (failure.retryAt) {
      await this.query(
        `UPDATE access_grants SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = now()
         WHERE id = ANY($1) AND status = 'PENDING'`,
        [grantIds, failure.reason, failure.retryAt],
      );
      return;
    }
    // Given up: the holders see FAILED and let go. A call that may have reached the provider
    // (it timed out) is followed by a removal, so nothing is left open by a late success.
    await this.settleAfter(`SELECT engine_grants_failed($1::uuid[], $2, $3) AS unsettled`, [
      grantIds,
      failure.mayHaveApplied ? 'REMOVING' : 'FAILED',
      failure.reason,
    ]);
  }

  /**
   * A call that added rules succeeded: the grants APPLIED (engine_grants_applied), and the
   * firewall's claim let go in the same round trip (what `FirewallSyncRepository.release` does,
   * after the outcome). Returns whether the lease was still this claim's, and when the firewall is
   * due next.
   */
  async appliedAndReleased(
    grantIds: string[],
    claim: Pick<ClaimedFirewall, 'resourceId' | 'generation' | 'leasedUntil'>,
    reconcileNext: Date | null,
  ): Promise<{ released: boolean; next: Date | null }> {
    const [row] = await rows<{ unsettled: string[]; released: boolean; next_due: Date | null }>(
      this.txHost.tx,
      `SELECT unsettled, released, next_due FROM engine_grants_applied_and_release($1::uuid[], $2, $3, $4, $5)`,
      [grantIds, claim.resourceId, claim.generation, reconcileNext, claim.leasedUntil],
    );
    this.settler.settleSoon(row.unsettled);
    return { released: row.released, next: row.next_due };
  }

  async removed(grantIds: string[], result: CallResult): Promise<void> {
    if (grantIds.length === 0) {
      return;
    }
    if (result.ok) {
      // Only grants still without holders: one taken again meanwhile is PENDING now and stays.
      await this.settleAfter(`SELECT engine_grants_removed($1::uuid[]) AS unsettled`, [grantIds]);
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
   * Writes the outcome with one of the engine's outcome functions (migration
   * EngineOutcomeFunctions: the grants locked, then written with their holders, then the sessions
   * they decided settled where no other transaction holds them), one round trip. Every other
   * session it touched goes to the settler once it has committed: a session whose other rules
   * another call is writing at the same time is settled after both have committed.
   */
  private async settleAfter(sql: string, parameters: unknown[]): Promise<void> {
    const [row] = await rows<{ unsettled: string[] }>(this.txHost.tx, sql, parameters);
    this.settler.settleSoon(row?.unsettled ?? []);
  }

  /**
   * A retry's bookkeeping. The grants are locked first, in a statement of its own: the write that
   * follows then starts after every transaction that held them has committed, and sees the holders
   * those added. (In one statement, its snapshot would predate the wait for the locks, and miss them.)
   */
  private query(sql: string, parameters: [string[], ...unknown[]]): Promise<void> {
    return this.txHost.withTransaction(async () => {
      await this.ledger.lockGrants('id = ANY($1)', [parameters[0]]);
      await rows(this.txHost.tx, sql, parameters);
    });
  }
}
