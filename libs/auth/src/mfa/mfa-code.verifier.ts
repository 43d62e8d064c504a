import { Inject, Injectable, Logger } from '@nestjs/common';
import { PasswordHasher } from '../password-hasher';
import { MFA_SECRET_SEALER, MfaSecretBinding, MfaSecretSealer } from './mfa-secret-sealer.port';
import { MfaRepository, MfaState } from './mfa.repository';
import { isRecoveryCodeShaped, normalizeCode } from './recovery-codes';
import { TotpService } from './totp.service';

/** Which second factor matched, and what spending it means. */
export type MfaCodeMatch = { method: 'TOTP'; step: number } | { method: 'RECOVERY_CODE'; id: string };

/**
 * Checks a code against a user's second factor in two halves: `match` does the slow part
 * (argon2id over recovery codes) before any transaction holds a connection, and `spend`, inside
 * the transaction that acts on it, makes it count once (a TOTP step, or a recovery code, is spent
 * by exactly one caller, wherever it was used: confirm, verify, disable, regenerate).
 */
@Injectable()
export class MfaCodeVerifier {
  private readonly logger = new Logger('MfaCodeVerifier');

  constructor(
    private readonly repository: MfaRepository,
    private readonly totp: TotpService,
    private readonly hasher: PasswordHasher,
    @Inject(MFA_SECRET_SEALER) private readonly sealer: MfaSecretSealer,
  ) {}

  /** The confirmed secret in plain text, for the moment of one check; undefined when it cannot be opened. */
  openSecret(state: MfaState): string | undefined {
    return state.secret
      ? this.open(state.secret, { organizationId: state.organizationId, userId: state.userId, slot: 'active' })
      : undefined;
  }

  /** The pending setup secret, likewise. */
  openPending(state: MfaState): string | undefined {
    return state.pending
      ? this.open(state.pending, { organizationId: state.organizationId, userId: state.userId, slot: 'pending' })
      : undefined;
  }

  async match(state: MfaState, code: string, options: { recoveryCodes: boolean }): Promise<MfaCodeMatch | undefined> {
    const normalized = normalizeCode(code);
    if (this.totp.isTotpShaped(normalized)) {
      const secret = this.openSecret(state);
      const step = secret === undefined ? undefined : this.totp.matchingStep(secret, normalized, state.lastUsedStep);
      return step === undefined ? undefined : { method: 'TOTP', step };
    }
    if (!options.recoveryCodes || !isRecoveryCodeShaped(normalized)) {
      return undefined;
    }
    const stored = await this.repository.unusedRecoveryCodes(state.organizationId, state.userId);
    // Each hash has its own salt: every one is tried (argon2 runs on libuv's thread pool, side by side).
    const verdicts = await Promise.all(stored.map((candidate) => this.hasher.verify(candidate.hash, normalized)));
    const found = stored.find((_candidate, index) => verdicts[index]);
    return found ? { method: 'RECOVERY_CODE', id: found.id } : undefined;
  }

  /** Inside the acting transaction: true for exactly one caller per code. */
  spend(state: MfaState, match: MfaCodeMatch): Promise<boolean> {
    return match.method === 'TOTP'
      ? this.repository.spendStep(state.organizationId, state.userId, match.step)
      : this.repository.spendRecoveryCode(state.organizationId, state.userId, match.id);
  }

  private open(sealed: NonNullable<MfaState['secret']>, binding: MfaSecretBinding): string | undefined {
    try {
      return this.sealer.open(sealed, binding);
    } catch {
      // Copied from another row, tampered with, or sealed under a key no longer configured: it
      // matches nothing. The user id is enough to look into it; nothing of the secret is logged.
      this.logger.warn(`The ${binding.slot} TOTP secret of user ${binding.userId} could not be opened`);
      return undefined;
    }
  }
}
