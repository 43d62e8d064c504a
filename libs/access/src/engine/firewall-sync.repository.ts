import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TxHost } from '@app/database';
import type { ProviderName, ResourceTarget } from '@app/providers';
import { rows } from './sql';

export interface ClaimedFirewall {
  resourceId: string;
  /** The lease's end as the claim wrote it: the fencing token of this claim (renewals move it). */
  leasedUntil: Date;
  /** When the lease was last granted or renewed, by this process's clock (taken before asking: never late). */
  renewedAt: number;
  organizationId: string;
  generation: number;
  reconcile: boolean;
  health: string | null;
  staleCidrs: string[] | null;
  resource: FirewallResource;
  /** The firewall's work, taken with the claim; null for a reconcile's claim (taken after the reconcile). */
  work: FirewallWork | null;
}

/** The columns of `resources` a firewall's work needs, prefixed `r.` in the claim. */
const RESOURCE_COLUMNS = 'r.name, r.credential_id, r.provider, r.resource_type, r.resource_identifier, r.region, r.config';

interface ResourceRow {
  name: string;
  credential_id: string;
  provider: ProviderName;
  resource_type: ResourceTarget['resourceType'];
  resource_identifier: string;
  region: string | null;
  config: Record<string, unknown>;
}

function toResource(row: ResourceRow & { resource_id: string; organization_id: string }): FirewallResource {
  return {
    id: row.resource_id,
    organizationId: row.organization_id,
    name: row.name,
    credentialId: row.credential_id,
    provider: row.provider,
    target: {
      provider: row.provider,
      resourceType: row.resource_type,
      resourceIdentifier: row.resource_identifier,
      region: row.region,
      config: row.config,
    },
  };
}

export interface FirewallResource {
  id: string;
  organizationId: string;
  name: string;
  credentialId: string;
  provider: ProviderName;
  target: ResourceTarget;
}

export interface GrantWork {
  id: string;
  cidr: string;
  description: string;
  status: 'PENDING' | 'REMOVING';
  attempts: number;
  pendingSince: Date | null;
}

/** The engine's queries over resource_sync and a firewall's grants. */
@Injectable()
export class FirewallSyncRepository {
  constructor(
    private readonly txHost: TxHost,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Claims firewalls with due work or a due reconcile: SKIP LOCKED so instances never take the same
   * row in a round, and a lease so an instance that dies lets go of it within `leaseSeconds`. A
   * firewall claimed for its work comes with that work taken (see `dueWork`), in the same
   * statement; a grant another transaction holds meanwhile (a start joining it, a stop letting it
   * go) is skipped, not waited for: that transaction marks the firewall due, or the grant's own
   * due time does, and the release leaves the firewall due for the next claim.
   */
  async claim(limit: number, leaseSeconds: number): Promise<ClaimedFirewall[]> {
    const asked = Date.now();
    const found = await rows<
      {
        resource_id: string;
        organization_id: string;
        generation: number;
        reconcile: boolean;
        health: string | null;
        stale_cidrs: string[] | null;
        leased_until: Date;
        work: Array<Record<string, unknown>>;
      } & ResourceRow
    >(
      this.dataSource,
      // Milliseconds only: the lease's end is this claim's token, compared with a JavaScript Date.
      // The firewall's resource comes with the claim (a deleted resource takes its resource_sync row along).
      // A reconcile's work is taken after the reconcile, which may add to it.
      `WITH claimed AS (
         UPDATE resource_sync s SET leased_until = date_trunc('milliseconds', now() + make_interval(secs => $2))
         FROM resources r
         WHERE r.id = s.resource_id AND s.resource_id IN (
           SELECT resource_id FROM resource_sync
           WHERE (due_at <= now() OR reconcile_due_at <= now()) AND (leased_until IS NULL OR leased_until < now())
           ORDER BY LEAST(due_at, reconcile_due_at) LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING s.resource_id, s.organization_id, s.generation, coalesce(s.reconcile_due_at <= now(), false) AS reconcile, s.health,
           s.stale_cidrs, s.leased_until, ${RESOURCE_COLUMNS}),
       ${dueWork('SELECT c.resource_id FROM claimed c WHERE NOT c.reconcile', 'FOR UPDATE SKIP LOCKED')}
       SELECT c.*, coalesce((SELECT json_agg(json_build_object('id', d.id, 'cidr', d.cidr, 'description', d.description, 'status', d.status,
           'attempts', d.attempts, 'pending_since', d.pending_since) ORDER BY d.cidr COLLATE "C")
         FROM due d WHERE d.resource_id = c.resource_id), '[]') AS work
       FROM claimed c`,
      [limit, leaseSeconds],
    );
    return found.map((row) => ({
      resourceId: row.resource_id,
      leasedUntil: row.leased_until,
      renewedAt: asked,
      organizationId: row.organization_id,
      generation: row.generation,
      reconcile: row.reconcile,
      health: row.health,
      staleCidrs: row.stale_cidrs,
      resource: toResource(row),
      work: row.reconcile ? null : splitWork(row.work.map((entry) => toWork({ ...entry, pending_since: toDate(entry.pending_since) }))),
    }));
  }

  /**
   * Extends this claim's lease before a provider call. False when the lease was lost: it ran out
   * (another instance may take the firewall at any moment now) or was taken already. The caller
   * must stop, since the firewall is no longer its.
   */
  async renew(claim: ClaimedFirewall, leaseSeconds: number): Promise<boolean> {
    const asked = Date.now();
    const [row] = await rows<{ leased_until: Date }>(
      this.dataSource,
      `UPDATE resource_sync SET leased_until = date_trunc('milliseconds', now() + make_interval(secs => $3))
       WHERE resource_id = $1 AND leased_until = $2 AND leased_until > now() RETURNING leased_until`,
      [claim.resourceId, claim.leasedUntil, leaseSeconds],
    );
    if (!row) {
      return false;
    }
    claim.leasedUntil = row.leased_until;
    claim.renewedAt = asked;
    return true;
  }

  /**
   * Lets go of the lease (resource_sync_release, fenced: a claim whose lease was taken over lets
   * nothing go). The row falls due when its oldest waiting work did, or its earliest retry will
   * (claims take the longest-waiting first); with nothing waiting, never, unless a change was made
   * meanwhile, which leaves it due now. Returns when it is due next.
   */
  async release(claim: ClaimedFirewall, reconcileNext: Date | null): Promise<Date | null> {
    const [row] = await rows<{ next_due: Date | null }>(this.dataSource, `SELECT next_due FROM resource_sync_release($1, $2, $3, $4)`, [
      claim.resourceId,
      claim.generation,
      reconcileNext,
      claim.leasedUntil,
    ]);
    return row?.next_due ?? null;
  }

  async saveHealth(resourceId: string, health: string, staleCidrs: string[]): Promise<void> {
    await this.txHost.tx.query(`UPDATE resource_sync SET health = $2, stale_cidrs = $3 WHERE resource_id = $1`, [
      resourceId,
      health,
      JSON.stringify(staleCidrs),
    ]);
  }

  /**
   * The firewall's due work (see `dueWork`), for a reconcile's claim once the reconcile is done. It
   * waits for a grant another transaction holds, so a grant is in exactly one list and a stop
   * cannot slip between the reads.
   */
  async takeWork(resourceId: string): Promise<FirewallWork> {
    const due = await rows<Record<string, unknown>>(this.dataSource, `WITH ${dueWork('$1', 'FOR UPDATE')} SELECT * FROM due`, [resourceId]);
    return splitWork(due.map(toWork));
  }

  /** Every grant of the firewall, for reconcile. */
  async grantsOf(resourceId: string): Promise<Array<{ id: string; cidr: string; status: string; holders: number }>> {
    const found: Array<{ id: string; cidr: string; status: string; holders: string }> = await this.dataSource.query(
      `SELECT g.id, g.cidr, g.status,
         (SELECT count(*) FROM session_rules r WHERE r.grant_id = g.id AND r.holds)
         + (SELECT count(*) FROM static_ip_rule_resources t WHERE t.grant_id = g.id AND t.holds) AS holders
       FROM access_grants g WHERE g.resource_id = $1`,
      [resourceId],
    );
    return found.map((row) => ({ ...row, holders: Number(row.holders) }));
  }
}

/**
 * The due work of the firewalls in `resourceIds` (a list or sub-select, in SQL), as the CTEs `due`
 * and `started`: their grants to add or remove, locked in the engine's one order (resource, CIDR),
 * the ones to add marked as attempted in the same statement, so that a stop arriving while the call
 * is out knows the provider may hold them.
 */
function dueWork(resourceIds: string, lock: 'FOR UPDATE' | 'FOR UPDATE SKIP LOCKED'): string {
  return `due AS (
         SELECT g.id, g.resource_id, g.cidr, g.description, g.status, g.attempts, g.pending_since FROM access_grants g
         WHERE g.resource_id IN (${resourceIds}) AND g.status IN ('PENDING', 'REMOVING') AND g.next_attempt_at <= now()
         ORDER BY g.resource_id, g.cidr COLLATE "C" ${lock}),
       started AS (
         UPDATE access_grants g SET apply_started_at = coalesce(g.apply_started_at, now()), updated_at = now()
         FROM due WHERE g.id = due.id AND due.status = 'PENDING')`;
}

export interface FirewallWork {
  apply: GrantWork[];
  remove: GrantWork[];
}

function splitWork(work: GrantWork[]): FirewallWork {
  return { apply: work.filter((grant) => grant.status === 'PENDING'), remove: work.filter((grant) => grant.status === 'REMOVING') };
}

/** A timestamp from JSON (json_build_object writes it as text). */
function toDate(value: unknown): Date | null {
  return typeof value === 'string' ? new Date(value) : null;
}

function toWork(row: Record<string, unknown>): GrantWork {
  return {
    id: row.id as string,
    cidr: row.cidr as string,
    description: row.description as string,
    status: row.status as GrantWork['status'],
    attempts: row.attempts as number,
    pendingSince: row.pending_since as Date | null,
  };
}
