import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { DueWorkJob } from '@app/common';
import { DueRow, STALE_VERDICT, TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { CredentialSecret, isTransientFailure, ProviderOutcome, ProviderRegistry } from '@app/providers';
import { CredentialCipher } from './credential-cipher';
import { CredentialNotFoundError } from './credential.errors';
import { CREDENTIAL_SETTINGS, CredentialSettings } from './credential-settings';
import { CredentialVerificationRepository, VerificationResult } from './credential-verification.repository';
import { CredentialsRepository, SealedCredential } from './credentials.repository';

const BATCH = 20;
/** Per round: no organization takes more than this many rows, and this many provider calls run at once. */
const PER_ORGANIZATION = 5;
const CONCURRENCY = 5;
/** A claimed row that was never finished (the instance died) becomes due again after this. */
const LEASE_MINUTES = 5;
/** When a background round could not reach the provider, ask again this soon rather than in 30 minutes. */
const RETRY_UNREACHABLE_MINUTES = 5;

export function toVerificationResult(outcome: ProviderOutcome): VerificationResult {
  if (outcome.ok) {
    return { isValid: true, verificationError: null };
  }
  // "Not supported yet" is not a verdict on the keys: validity stays unknown.
  return { isValid: outcome.kind === 'UNSUPPORTED' ? null : false, verificationError: outcome.reason };
}

/** Verifies credentials against their provider: on demand, after create or rotation, and every interval. */
@Injectable()
export class CredentialVerifier implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CredentialVerifier');
  private readonly job: DueWorkJob<DueRow>;

  constructor(
    private readonly repository: CredentialsRepository,
    private readonly verification: CredentialVerificationRepository,
    private readonly cipher: CredentialCipher,
    private readonly providers: ProviderRegistry,
    private readonly audit: AuditService,
    private readonly txHost: TxHost,
    cls: ClsService,
    @Inject(CREDENTIAL_SETTINGS) private readonly settings: CredentialSettings,
  ) {
    this.job = new DueWorkJob<DueRow>({
      name: 'CredentialVerificationJob',
      enabled: settings.jobsEnabled,
      intervalMs: settings.pollSeconds * 1000,
      batchSize: BATCH,
      cls,
      claim: (limit) => this.verification.claimDue(limit, LEASE_MINUTES, PER_ORGANIZATION),
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

  /** POST /credentials/{id}/verify: always audited. */
  async verifyNow(organizationId: string, id: string): Promise<void> {
    // Keys rotated during the check: check the new ones once more, so the answer is about them.
    for (let attempt = 0; attempt < 2; attempt++) {
      const sealed = await this.repository.findSealed(organizationId, id);
      if (!sealed) {
        throw new CredentialNotFoundError(id);
      }
      if ((await this.verifyAndSave(sealed, true)) !== STALE_VERDICT) {
        return;
      }
    }
  }

  /** Decrypts inside the provider call only; the plaintext never leaves this function. */
  private async checkWithProvider(sealed: SealedCredential): Promise<ProviderOutcome> {
    let secret: CredentialSecret;
    try {
      secret = this.cipher.open(sealed.provider, sealed.secret, { organizationId: sealed.organizationId, credentialId: sealed.id });
    } catch (error) {
      this.logger.error(`credential ${sealed.id} could not be decrypted: ${(error as Error).message}`);
      return { ok: false, kind: 'PROVIDER_ERROR', reason: 'The stored credential could not be decrypted with the configured keys' };
    }
    return this.providers.adapterFor(sealed.provider).verifyCredential(secret);
  }

  private async verifyAndSave(sealed: SealedCredential, explicit: boolean): Promise<typeof STALE_VERDICT | void> {
    const outcome = await this.checkWithProvider(sealed);
    if (!explicit && !outcome.ok && isTransientFailure(outcome)) {
      // A background round that could not reach the provider says nothing about the keys.
      await this.verification.saveUnreachable(sealed, outcome.reason, RETRY_UNREACHABLE_MINUTES);
      return;
    }
    const result = toVerificationResult(outcome);
    return this.txHost.withTransaction(async () => {
      const saved = await this.verification.saveVerification(sealed, sealed.revision, result, this.settings.verifyIntervalMinutes);
      if (saved === STALE_VERDICT) {
        return STALE_VERDICT; // the keys changed while we asked: that verdict is about keys no longer stored
      }
      if (!saved) {
        return; // deleted while we were asking the provider
      }
      // Background rounds are audited only when the verdict changes, so the trail stays readable.
      if (explicit || saved.previous !== result.isValid) {
        await this.audit.record({
          eventType: 'CREDENTIAL_VERIFY',
          organizationId: sealed.organizationId,
          actor: explicit ? undefined : { type: 'SYSTEM' },
          targetType: 'CREDENTIAL',
          targetId: sealed.id,
          targetName: sealed.name,
          result: result.isValid === true ? 'SUCCESS' : 'FAILURE',
          errorCode: result.isValid === true ? null : 'VERIFICATION_FAILED',
          errorMessage: result.verificationError,
          details: { isValid: result.isValid },
        });
      }
    });
  }

  private async verifyDue(due: DueRow): Promise<void> {
    const sealed = await this.repository.findSealed(due.organizationId, due.id);
    if (sealed) {
      await this.verifyAndSave(sealed, false);
    }
  }
}
