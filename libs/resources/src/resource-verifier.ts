import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { DueWorkJob } from '@app/common';
import { DueRow, STALE_VERDICT, TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { isTransientFailure, ProviderOutcome, ProviderRegistry, ResourceTarget } from '@app/providers';
import { CREDENTIAL_ACCESS, CredentialAccess } from './ports/credential-access.port';
import { RESOURCE_SETTINGS, ResourceSettings } from './resource-settings';
import { ResourceHealthRepository } from './health/resource-health.repository';
import { ResourceRow, ResourcesRepository } from './resources.repository';

const BATCH = 20;
/** Per round: no organization takes more than this many rows, and this many provider calls run at once. */
const PER_ORGANIZATION = 5;
const CONCURRENCY = 5;
const LEASE_MINUTES = 5;
/** When a background round could not reach the provider, ask again this soon rather than in 30 minutes. */
const RETRY_UNREACHABLE_MINUTES = 5;

export interface ResourceCheck {
  ok: boolean;
  reason: string | null;
  /** Not saved: the resource changed while the provider was asked. */
  stale?: boolean;
}

/** Checks a resource through its provider: on demand, after create or change, and every interval. */
@Injectable()
export class ResourceVerifier implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ResourceVerifier');
  private readonly job: DueWorkJob<DueRow>;

  constructor(
    private readonly repository: ResourcesRepository,
    private readonly providers: ProviderRegistry,
    private readonly audit: AuditService,
    private readonly txHost: TxHost,
    private readonly health: ResourceHealthRepository,
    cls: ClsService,
    @Inject(CREDENTIAL_ACCESS) private readonly credentials: CredentialAccess,
    @Inject(RESOURCE_SETTINGS) private readonly settings: ResourceSettings,
  ) {
    this.job = new DueWorkJob<DueRow>({
      name: 'ResourceVerificationJob',
      enabled: settings.jobsEnabled,
      intervalMs: settings.pollSeconds * 1000,
      batchSize: BATCH,
      cls,
      claim: (limit) => this.repository.claimDue(limit, LEASE_MINUTES, PER_ORGANIZATION),
      concurrency: CONCURRENCY,
      fairnessKey: (due) => due.organizationId,
      process: (due) => this.verifyDue(due),
    });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  nudge(): void {
    this.job.nudge();
  }

  /** Asks the provider, then saves the verdict with its audit row; returns the verdict. */
  async verifyAndSave(row: ResourceRow, explicit: boolean): Promise<ResourceCheck> {
    const outcome = await this.ask(row);
    if (!explicit && !outcome.ok && isTransientFailure(outcome)) {
      // A background round that could not reach the provider says nothing about the resource.
      await this.repository.saveUnreachable(row.organization_id, row.id, outcome.reason, RETRY_UNREACHABLE_MINUTES);
      return { ok: row.is_active, reason: outcome.reason };
    }
    const check: ResourceCheck = outcome.ok ? { ok: true, reason: null } : { ok: false, reason: outcome.reason };
    const stale = await this.txHost.withTransaction(async () => {
      const saved = await this.repository.saveVerification(row, check.ok, check.reason, this.settings.verifyIntervalMinutes);
      if (saved === STALE_VERDICT) {
        return true; // moved, retargeted or its keys rotated while we asked: the verdict is about the old state
      }
      if (saved && saved.previous !== check.ok) {
        await this.health.record({
          organizationId: row.organization_id,
          resourceId: row.id,
          resourceName: row.name,
          eventType: check.ok ? 'VERIFY_OK' : 'VERIFY_FAILED',
          message: check.ok ? null : check.reason,
        });
      }
      if (saved && (explicit || saved.previous !== check.ok)) {
        await this.audit.record({
          eventType: 'RESOURCE_VERIFY',
          organizationId: row.organization_id,
          actor: explicit ? undefined : { type: 'SYSTEM' },
          targetType: 'RESOURCE',
          targetId: row.id,
          targetName: row.name,
          result: check.ok ? 'SUCCESS' : 'FAILURE',
          errorCode: check.ok ? null : 'VERIFICATION_FAILED',
          errorMessage: check.reason,
          details: { isActive: check.ok, credentialId: row.credential_id },
        });
      }
      return false;
    });
    return stale ? { ...check, stale: true } : check;
  }

  private async ask(row: ResourceRow): Promise<ProviderOutcome> {
    const target: ResourceTarget = {
      provider: row.provider,
      resourceType: row.resource_type as ResourceTarget['resourceType'],
      resourceIdentifier: row.resource_identifier,
      region: row.region,
      config: row.config,
    };
    try {
      return await this.credentials.withSecret(row.organization_id, row.credential_id, (secret) =>
        this.providers.adapterFor(row.provider).verifyResource(secret, target),
      );
    } catch (error) {
      this.logger.error(`resource ${row.id}: could not open its credential: ${(error as Error).message}`);
      return { ok: false, kind: 'PROVIDER_ERROR', reason: 'The credential of this resource could not be used' };
    }
  }

  private async verifyDue(due: DueRow): Promise<void> {
    const row = await this.repository.findById(due.organizationId, due.id);
    if (row) {
      await this.verifyAndSave(row, false);
    }
  }
}
