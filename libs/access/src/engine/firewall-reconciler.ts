import { Inject, Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { ResourceHealthRepository } from '@app/resources';
import { CloudProviderAdapter, CredentialSecret, isTransientFailure, ProviderOutcome, RuleListOutcome } from '@app/providers';
import { ACCESS_SETTINGS, AccessSettings } from './access-settings';
import { ClaimedFirewall, FirewallResource, FirewallSyncRepository } from './firewall-sync.repository';
import { GrantLedger } from './grant-ledger';
import { WorkSchedule } from './work-schedule';

/** What EntryGuard writes next to its rules (AWS): how reconcile tells its own rules from others'. */
export const RULE_DESCRIPTION_PREFIX = 'EntryGuard';
/** After a repair, look again this soon, so RECONCILE_FAILED turns into RECONCILE_OK once it holds. */
const RECHECK_AFTER_REPAIR_MS = 30_000;
/** The provider could not be asked: try again this soon, keeping the last verdict. */
const RETRY_UNREACHABLE_MS = 60_000;

type Failure = Extract<ProviderOutcome, { ok: false }>;
export type FirewallCall = <T>(use: (adapter: CloudProviderAdapter, secret: CredentialSecret) => Promise<T>) => Promise<T | Failure>;

/**
 * Compares a firewall with what its grants say (§13): puts back rules that live holders need and
 * the provider lost, removes rules that carry EntryGuard's description and have no live holder,
 * and reports addresses EntryGuard does not know (never touching them). A change of verdict, or
 * of the set of unknown addresses, is a resource-health event (§14).
 */
@Injectable()
export class FirewallReconciler {
  constructor(
    private readonly repository: FirewallSyncRepository,
    private readonly health: ResourceHealthRepository,
    private readonly schedule: WorkSchedule,
    private readonly txHost: TxHost,
    private readonly ledger: GrantLedger,
    @Inject(ACCESS_SETTINGS) private readonly settings: AccessSettings,
  ) {}

  /** Returns when the firewall is to be reconciled next. */
  async run(resource: FirewallResource, claim: ClaimedFirewall, call: FirewallCall): Promise<Date> {
    const listed: RuleListOutcome | Failure = await call((adapter, secret) => adapter.listRules(secret, resource.target));
    const interval = this.settings.reconcileIntervalMinutes * 60_000;
    if (!listed.ok) {
      if (isTransientFailure(listed)) {
        return new Date(Date.now() + RETRY_UNREACHABLE_MS);
      }
      await this.verdict(resource, claim, 'RECONCILE_FAILED', listed.reason, claim.staleCidrs ?? [], {});
      return new Date(Date.now() + interval);
    }
    const actual = new Map(listed.rules.map((rule) => [rule.cidr, rule.description]));
    // Open on some of the resource's ports only (AWS): missing where a holder needs it, stranded where none does.
    const partial = new Set(listed.rules.filter((rule) => rule.partial).map((rule) => rule.cidr));
    const grants = new Map((await this.repository.grantsOf(resource.id)).map((grant) => [grant.cidr, grant]));
    const missing = [...grants.values()].filter(
      (grant) => grant.status === 'APPLIED' && (!actual.has(grant.cidr) || partial.has(grant.cidr)),
    );
    const stranded: Array<{ cidr: string; description: string }> = [];
    const stale: string[] = [];
    for (const [cidr, description] of actual) {
      const grant = grants.get(cidr);
      if (grant && (grant.status === 'APPLIED' || grant.status === 'PENDING' || grant.status === 'REMOVING')) {
        continue;
      }
      // APISIX keeps no description: there, an address is ours when we once held a grant for it.
      const ours = description !== null ? description.startsWith(RULE_DESCRIPTION_PREFIX) : grant !== undefined;
      if (ours) {
        stranded.push({ cidr, description: description ?? `${RULE_DESCRIPTION_PREFIX} (stranded)` });
      } else {
        stale.push(cidr);
      }
    }
    stale.sort();
    await this.txHost.withTransaction(async () => {
      // Every grant of the firewall, in the engine's one lock order, before any change.
      await this.ledger.lockGrants('resource_id = $1', [resource.id]);
      const due = new Map<string, string>();
      if (missing.length > 0) {
        await this.txHost.tx.query(
          `UPDATE access_grants SET status = 'PENDING', pending_since = now(), next_attempt_at = now(), attempts = 0, updated_at = now()
           WHERE id = ANY($1) AND status = 'APPLIED'`,
          [missing.map((grant) => grant.id)],
        );
        due.set(resource.id, resource.organizationId);
      }
      for (const rule of stranded) {
        await this.txHost.tx.query(
          `INSERT INTO access_grants (organization_id, resource_id, cidr, status, description, apply_started_at, next_attempt_at)
           VALUES ($1, $2, $3, 'REMOVING', $4, now(), now())
           ON CONFLICT (resource_id, cidr) DO UPDATE SET status = 'REMOVING', apply_started_at = coalesce(access_grants.apply_started_at, now()),
             next_attempt_at = now(), attempts = 0, updated_at = now()
           WHERE access_grants.status IN ('REMOVED', 'FAILED')`,
          [resource.organizationId, resource.id, rule.cidr, rule.description.slice(0, 255)],
        );
        due.set(resource.id, resource.organizationId);
      }
      await this.schedule.markDue(due);
      const repaired = missing.length + stranded.length;
      await this.verdict(
        resource,
        claim,
        repaired === 0 ? 'RECONCILE_OK' : 'RECONCILE_FAILED',
        repaired === 0 ? null : `${missing.length} rule(s) missing and ${stranded.length} stranded; repairing`,
        stale,
        { missingCidrs: missing.map((grant) => grant.cidr), strandedCidrs: stranded.map((rule) => rule.cidr) },
      );
    });
    return new Date(Date.now() + (missing.length + stranded.length > 0 ? RECHECK_AFTER_REPAIR_MS : interval));
  }

  private async verdict(
    resource: FirewallResource,
    claim: ClaimedFirewall,
    health: 'RECONCILE_OK' | 'RECONCILE_FAILED',
    message: string | null,
    staleCidrs: string[],
    extra: Record<string, unknown>,
  ): Promise<void> {
    const previousStale = JSON.stringify([...(claim.staleCidrs ?? [])].sort());
    if (claim.health === health && previousStale === JSON.stringify(staleCidrs)) {
      return;
    }
    await this.health.record({
      organizationId: resource.organizationId,
      resourceId: resource.id,
      resourceName: resource.name,
      eventType: health,
      message,
      details: { staleCidrs, ...extra },
    });
    await this.repository.saveHealth(resource.id, health, staleCidrs);
  }
}
