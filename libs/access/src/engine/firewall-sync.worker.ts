import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { DueWorkJob, inBackgroundLane } from '@app/common';
import { CREDENTIAL_ACCESS, CredentialAccess, CredentialUnusableError } from '@app/resources';
import { CloudProviderAdapter, CredentialSecret, isTransientFailure, ProviderOutcome, ProviderRegistry } from '@app/providers';
import { ACCESS_SETTINGS, AccessSettings, retryDelayMs } from './access-settings';
import { FirewallOutcomeRecorder } from './firewall-outcome.recorder';
import { FirewallLock } from './firewall-lock';
import { FirewallCall, FirewallReconciler } from './firewall-reconciler';
import { ClaimedFirewall, FirewallSyncRepository, GrantWork } from './firewall-sync.repository';
import { SessionSettler } from './session-settler';
import { WorkSchedule } from './work-schedule';

/** Firewalls claimed per round, at most: no more than are worked at once, so no claim waits long under its lease. */
const MAX_BATCH = 50;
/** Retries of a transient apply failure wait at most this long, within SESSION_APPLY_TIMEOUT_SECONDS. */
const APPLY_RETRY_CAP_SECONDS = 30;
/** Removals retry until they succeed, backing off to 5 minutes (§13). */
const REMOVE_RETRY_CAP_SECONDS = 300;

export type ProviderFailure = Extract<ProviderOutcome, { ok: false }>;

/** The claim's lease ran out and another instance holds the firewall now: this one must not touch it. */
class LeaseLostError extends Error {}

/**
 * The engine's worker: claims firewalls with due work (rules to add or remove, a reconcile), asks
 * the provider once per kind of change with every rule of the firewall in the call, and records
 * the outcome. Runs on every instance; the claim keeps two instances off one firewall.
 */
@Injectable()
export class FirewallSyncWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FirewallSyncWorker');
  private readonly job: DueWorkJob<ClaimedFirewall>;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;

  constructor(
    private readonly repository: FirewallSyncRepository,
    private readonly recorder: FirewallOutcomeRecorder,
    private readonly reconciler: FirewallReconciler,
    private readonly lock: FirewallLock,
    private readonly settler: SessionSettler,
    private readonly providers: ProviderRegistry,
    schedule: WorkSchedule,
    private readonly cls: ClsService,
    @Inject(CREDENTIAL_ACCESS) private readonly credentials: CredentialAccess,
    @Inject(ACCESS_SETTINGS) private readonly settings: AccessSettings,
  ) {
    this.job = new DueWorkJob<ClaimedFirewall>({
      name: 'FirewallSyncWorker',
      enabled: settings.jobsEnabled,
      intervalMs: settings.pollSeconds * 1000,
      batchSize: Math.min(MAX_BATCH, settings.concurrency),
      cls,
      claim: (limit) => this.claim(limit),
      concurrency: settings.concurrency,
      refill: true,
      fairnessKey: (claim) => claim.organizationId,
      process: (claim) => this.sync(claim),
    });
    schedule.onWork(() => this.job.nudge());
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.wakeTimer);
    await this.job.stop();
  }

  /** One round now, whatever JOBS_ENABLED says (tests drive the engine this way). Returns the firewalls it worked. */
  async runOnce(): Promise<number> {
    return inBackgroundLane(async () => {
      const claims = await this.claim(MAX_BATCH);
      await Promise.all(claims.map((claim) => this.cls.run({ ifNested: 'override' }, () => this.sync(claim))));
      // The sessions these outcomes decided have their status when this returns.
      await this.settler.idle();
      return claims.length;
    });
  }

  private claim(limit: number): Promise<ClaimedFirewall[]> {
    return this.repository.claim(limit, this.settings.leaseSeconds);
  }

  private async sync(claim: ClaimedFirewall): Promise<void> {
    const resource = claim.resource;
    let reconcileNext: Date | null = null;
    // Set when the sync's last write let the claim go with it (its usual end): nothing left to release.
    let released = false;
    try {
      // A claim may have waited behind others of this instance: still ours?
      await this.keepLease(claim);
      if (claim.reconcile) {
        reconcileNext = await this.reconciler.run(resource, claim, (use) => this.withFirewall(claim, use));
      }
      // A claim comes with its firewall's work; a reconcile's takes it now (the reconcile may have added to it).
      const work = claim.work ?? (await this.repository.takeWork(resource.id));
      if (isEmpty(work)) {
        return;
      }
      await this.withCredential(claim, async (call) => {
        if (work.remove.length > 0) {
          await this.remove(claim, work.remove, call);
        }
        if (work.apply.length > 0) {
          released = await this.apply(claim, work.apply, call, reconcileNext);
        }
      });
    } catch (error) {
      if (!(error instanceof LeaseLostError)) {
        throw error;
      }
      this.logger.warn(`resource ${resource.id}: its lease ran out and another instance took it; left to that one`);
    } finally {
      if (!released) {
        this.wakeBy(await this.repository.release(claim, reconcileNext));
      }
    }
  }

  /**
   * Before each provider call: a lease that has run a third of its time is renewed (fenced), so a
   * call never starts on a firewall another instance may have taken meanwhile.
   */
  private async keepLease(claim: ClaimedFirewall): Promise<void> {
    if (Date.now() - claim.renewedAt < (this.settings.leaseSeconds * 1000) / 3) {
      return;
    }
    if (!(await this.repository.renew(claim, this.settings.leaseSeconds))) {
      throw new LeaseLostError();
    }
  }

  /** Returns true when its write let the claim go too (a success, the sync's last step). */
  private async apply(claim: ClaimedFirewall, grants: GrantWork[], call: FirewallCall, reconcileNext: Date | null): Promise<boolean> {
    const resource = claim.resource;
    const outcome = await call((adapter, secret) =>
      adapter.applyRules(
        secret,
        resource.target,
        grants.map((grant) => ({ cidr: grant.cidr, description: grant.description })),
      ),
    );
    if (outcome.ok) {
      const { next } = await this.recorder.appliedAndReleased(
        grants.map((grant) => grant.id),
        claim,
        reconcileNext,
      );
      this.wakeBy(next);
      return true;
    }
    const reason = outcome.reason;
    if (!isTransientFailure(outcome)) {
      this.logger.warn(`resource ${resource.id}: apply refused (${outcome.kind}): ${reason}`);
      await this.recorder.applyFailed(
        grants.map((grant) => grant.id),
        { ok: false, reason, retryAt: null, mayHaveApplied: false },
      );
      return false;
    }
    // Transient: each rule retries until its own deadline, then fails (and is removed in case the call got through).
    const now = Date.now();
    const retry: string[] = [];
    const giveUp: string[] = [];
    for (const grant of grants) {
      const deadline = (grant.pendingSince?.getTime() ?? now) + this.settings.applyTimeoutSeconds * 1000;
      (now + retryDelayMs(grant.attempts + 1, APPLY_RETRY_CAP_SECONDS) < deadline ? retry : giveUp).push(grant.id);
    }
    const attempts = Math.max(...grants.map((grant) => grant.attempts)) + 1;
    await this.recorder.applyFailed(retry, {
      ok: false,
      reason,
      retryAt: new Date(now + retryDelayMs(attempts, APPLY_RETRY_CAP_SECONDS)),
      mayHaveApplied: true,
    });
    await this.recorder.applyFailed(giveUp, { ok: false, reason, retryAt: null, mayHaveApplied: true });
    return false;
  }

  private async remove(claim: ClaimedFirewall, grants: GrantWork[], call: FirewallCall): Promise<void> {
    const resource = claim.resource;
    const outcome = await call((adapter, secret) =>
      adapter.removeRules(
        secret,
        resource.target,
        grants.map((grant) => grant.cidr),
      ),
    );
    const ids = grants.map((grant) => grant.id);
    // A missing group or route holds no rule of ours: the removal has nothing left to do.
    if (outcome.ok || outcome.kind === 'NOT_FOUND') {
      await this.recorder.removed(ids, { ok: true });
      return;
    }
    this.logger.warn(`resource ${resource.id}: removal failed (${outcome.kind}), will retry: ${outcome.reason}`);
    const attempts = Math.max(...grants.map((grant) => grant.attempts)) + 1;
    const retryAt = new Date(Date.now() + retryDelayMs(attempts, REMOVE_RETRY_CAP_SECONDS));
    await this.recorder.removed(ids, { ok: false, reason: outcome.reason, retryAt, mayHaveApplied: true });
  }

  /** Opens the credential for one provider call (reconcile's), under the firewall's lock, with the lease kept. */
  private withFirewall<T>(
    claim: ClaimedFirewall,
    use: (adapter: CloudProviderAdapter, secret: CredentialSecret) => Promise<T>,
  ): Promise<T | ProviderFailure> {
    return this.withCredential(claim, (call) => call(use));
  }

  /**
   * Opens the firewall's credential once for `work`, whose provider calls each run under the
   * firewall's lock with the lease kept. A credential that cannot be opened (gone, or sealed with a
   * key no longer configured: CredentialUnusableError) makes every call of `work` a permanent
   * PROVIDER_ERROR, recorded like the provider's own; anything else (the database, while reading
   * the credential or while `work` runs) is not the credential's fault and ends the sync, whose
   * work then falls due again.
   */
  private async withCredential<R>(claim: ClaimedFirewall, work: (call: FirewallCall) => Promise<R>): Promise<R> {
    const resource = claim.resource;
    let opened = false;
    try {
      return await this.credentials.withSecret(resource.organizationId, resource.credentialId, (secret) => {
        opened = true;
        return work((use) => this.lockedCall(claim, secret, use));
      });
    } catch (error) {
      // Only the credential's own failure fails the calls; the database's ends the sync (its work falls due again).
      if (opened || !(error instanceof CredentialUnusableError)) {
        throw error;
      }
      const reason = (error as Error).message;
      const unusable: ProviderFailure = { ok: false, kind: 'PROVIDER_ERROR', reason: 'The credential of this resource could not be used' };
      // Logged when a call needed it: a sync whose work turned out empty has nothing to report.
      return work(async () => {
        this.logger.error(`resource ${resource.id}: could not open its credential: ${reason}`);
        return unusable;
      });
    }
  }

  private lockedCall<T>(
    claim: ClaimedFirewall,
    secret: CredentialSecret,
    use: (adapter: CloudProviderAdapter, secret: CredentialSecret) => Promise<T>,
  ): Promise<T> {
    const resource = claim.resource;
    return this.lock.around(secret, resource.target, async () => {
      // Right before the call: opening the credential and the route's lock may have waited.
      await this.keepLease(claim);
      const outcome = await use(this.providers.adapterFor(resource.provider), secret);
      // And after it, for writing its outcome. Lost by now, nothing is at stake: those writes are conditional.
      await this.keepLease(claim).catch(() => undefined);
      return outcome;
    });
  }

  /** Due again soon (a retry): wake this instance then, rather than at the next poll. */
  private wakeBy(next: Date | null): void {
    if (!next || !this.settings.jobsEnabled) {
      return;
    }
    const at = next.getTime();
    if (at <= Date.now()) {
      this.job.nudge();
      return;
    }
    if (at >= this.wakeAt || at - Date.now() > this.settings.pollSeconds * 1000) {
      return;
    }
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeAt = Infinity;
        this.job.nudge();
      },
      at - Date.now() + 20,
    );
    this.wakeTimer.unref();
  }
}

function isEmpty(work: { apply: GrantWork[]; remove: GrantWork[] }): boolean {
  return work.apply.length === 0 && work.remove.length === 0;
}
