import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { Poller } from '@app/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { CredentialSecret, ProviderOutcome, ProviderRegistry } from '@app/providers';
import { CredentialCipher } from './credential-cipher';
import { CredentialNotFoundError } from './credential.errors';
import { CREDENTIAL_SETTINGS, CredentialSettings } from './credential-settings';
import { CredentialsRepository, SealedCredential, VerificationResult } from './credentials.repository';

const BATCH = 20;
/** A claimed row that was never finished (the instance died) becomes due again after this. */
const LEASE_MINUTES = 5;

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
  private readonly poller: Poller;

  constructor(
    private readonly repository: CredentialsRepository,
    private readonly cipher: CredentialCipher,
    private readonly providers: ProviderRegistry,
    private readonly audit: AuditService,
    private readonly txHost: TxHost,
    private readonly cls: ClsService,
    @Inject(CREDENTIAL_SETTINGS) private readonly settings: CredentialSettings,
  ) {
    this.poller = new Poller({ name: 'CredentialVerificationJob', intervalMs: settings.pollSeconds * 1000, work: () => this.runDue() });
  }

  onApplicationBootstrap(): void {
    if (this.settings.jobsEnabled) {
      this.poller.start();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.poller.stop();
  }

  nudge(): void {
    this.poller.nudge();
  }

  /** POST /credentials/{id}/verify: always audited. */
  async verifyNow(organizationId: string, id: string): Promise<void> {
    const sealed = await this.repository.findSealed(organizationId, id);
    if (!sealed) {
      throw new CredentialNotFoundError(id);
    }
    await this.verifyAndSave(sealed, true);
  }

  /** Decrypts inside the provider call only; the plaintext never leaves this function. */
  async checkWithProvider(sealed: SealedCredential): Promise<ProviderOutcome> {
    let secret: CredentialSecret;
    try {
      secret = { provider: sealed.provider, data: this.cipher.decrypt(sealed.secret, { organizationId: sealed.organizationId, credentialId: sealed.id }) } as CredentialSecret;
    } catch (error) {
      this.logger.error(`credential ${sealed.id} could not be decrypted: ${(error as Error).message}`);
      return { ok: false, kind: 'PROVIDER_ERROR', reason: 'The stored credential could not be decrypted with the configured keys' };
    }
    return this.providers.adapterFor(sealed.provider).verifyCredential(secret);
  }

  private async verifyAndSave(sealed: SealedCredential, explicit: boolean): Promise<void> {
    const result = toVerificationResult(await this.checkWithProvider(sealed));
    await this.txHost.withTransaction(async () => {
      const saved = await this.repository.saveVerification(sealed.organizationId, sealed.id, result, this.settings.verifyIntervalMinutes);
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

  private runDue(): Promise<boolean> {
    return this.cls.run(async () => {
      const due = await this.repository.claimDue(BATCH, LEASE_MINUTES);
      for (const { organizationId, id } of due) {
        const sealed = await this.repository.findSealed(organizationId, id);
        if (sealed) {
          await this.verifyAndSave(sealed, false).catch((error: Error) => this.logger.warn(`verification of ${id} failed: ${error.message}`));
        }
      }
      return due.length === BATCH;
    });
  }
}
