import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import { claimDueRows, DueRow, postponeVerification, saveVerdict, STALE_VERDICT, TxHost } from '@app/database';
import { Credential } from './credential.entity';

export interface VerificationResult {
  isValid: boolean | null;
  verificationError: string | null;
}

/** The credentials table's verification state: the schedule, claims and verdicts. */
@Injectable()
export class CredentialVerificationRepository {
  constructor(private readonly txHost: TxHost) {}

  private get credentials(): Repository<Credential> {
    return this.txHost.tx.getRepository(Credential);
  }

  /**
   * Saves the verdict only if the keys are still the ones checked (`revision`), and returns the
   * previous validity; keys rotated meanwhile: STALE_VERDICT and the row is due again.
   */
  saveVerification(
    row: DueRow,
    revision: number,
    result: VerificationResult,
    nextDueInMinutes: number,
  ): Promise<{ previous: boolean | null } | typeof STALE_VERDICT | undefined> {
    return saveVerdict<Credential, boolean | null>(this.credentials, row, {
      set: { isValid: result.isValid, verificationError: result.verificationError },
      previous: 'isValid',
      unchanged: 'revision = :revision',
      parameters: { revision },
      nextDueInMinutes,
    });
  }

  /** The provider could not be asked: keep the verdict, note why, and ask again soon. */
  saveUnreachable(row: DueRow, reason: string, retryInMinutes: number): Promise<void> {
    return postponeVerification(this.credentials, row, reason, retryInMinutes);
  }

  claimDue(limit: number, leaseMinutes: number, perOrganization: number): Promise<DueRow[]> {
    return claimDueRows(this.credentials, limit, leaseMinutes, perOrganization);
  }
}
