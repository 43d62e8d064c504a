import { timingSafeEqual } from 'node:crypto';
import { forwardRef, Inject, Injectable } from '@nestjs/common';
import { ForbiddenError, Principal, UnauthorizedError } from '@app/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { PasswordHasher } from '../password-hasher';
import { OrganizationSettingsRepository } from '../settings/organization-settings.repository';
import { OneTimeTokenService } from '../tokens/one-time-token.service';
import { ConfirmMfaDto, DisableMfaDto, MfaSetupResponseDto, RecoveryCodesResponseDto, RegenerateRecoveryCodesDto } from './dto/mfa.dto';
import { MfaCodeMatch, MfaCodeVerifier } from './mfa-code.verifier';
import { MFA_SECRET_SEALER, MfaSecretSealer } from './mfa-secret-sealer.port';
import {
  InvalidMfaCodeError,
  MfaAlreadyEnabledError,
  MfaNotEnabledError,
  MfaRequiredByOrganizationError,
  StaleMfaSecretError,
} from './mfa.errors';
import { MfaRepository, MfaState } from './mfa.repository';
import { newRecoveryCodes, normalizeCode } from './recovery-codes';
import { TotpService } from './totp.service';

/** §11: the pending setup secret lives this long. */
export const MFA_SETUP_TTL_SECONDS = 600;

type SignedInUser = { organizationId: string; userId: string };

/**
 * A signed-in user's own MFA (§11): setup and its confirmation, disabling, new recovery codes; and
 * the admin's reset, which libs/users calls inside its own transaction. Every change locks the
 * user's row, re-reads the state under the lock, and writes its audit row in the same transaction.
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly repository: MfaRepository,
    private readonly verifier: MfaCodeVerifier,
    private readonly totp: TotpService,
    private readonly hasher: PasswordHasher,
    private readonly settings: OrganizationSettingsRepository,
    private readonly oneTimeTokens: OneTimeTokenService,
    @Inject(MFA_SECRET_SEALER) private readonly sealer: MfaSecretSealer,
    // Lazily: @app/audit decorates its controller with this library's access decorators.
    @Inject(forwardRef(() => AuditService)) private readonly audit: AuditService,
    private readonly txHost: TxHost,
  ) {}

  /** A new secret, held (sealed) for 10 minutes; an earlier pending one is replaced. */
  async setup(principal: Principal): Promise<MfaSetupResponseDto> {
    const user = signedInUser(principal);
    const secret = this.totp.newSecret();
    const email = await this.txHost.withTransaction(async () => {
      const state = await this.mustFind(user, true);
      if (state.enabled) {
        throw new MfaAlreadyEnabledError();
      }
      const sealed = this.sealer.seal(secret, { ...user, slot: 'pending' });
      await this.repository.savePending(user.organizationId, user.userId, sealed, MFA_SETUP_TTL_SECONDS);
      return state.email;
    });
    const otpauthUrl = this.totp.otpauthUrl(secret, email);
    return { secret, otpauthUrl, qrCodeBase64: await this.totp.qrCodeBase64(otpauthUrl) };
  }

  /** MFA on, with the pending secret and a code of it; 8 recovery codes, shown this once. */
  async confirm(principal: Principal, dto: ConfirmMfaDto): Promise<RecoveryCodesResponseDto> {
    const user = signedInUser(principal);
    const before = await this.mustFind(user);
    if (before.enabled) {
      throw new MfaAlreadyEnabledError();
    }
    const pending = this.verifier.openPending(before);
    if (pending === undefined || !sameText(pending, dto.secret.trim().toUpperCase())) {
      throw new StaleMfaSecretError();
    }
    const step = this.totp.matchingStep(pending, normalizeCode(dto.code), before.lastUsedStep);
    if (step === undefined) {
      throw new InvalidMfaCodeError('is not the current code of this secret');
    }
    const { codes, hashes } = await this.newRecoveryCodes();
    return this.txHost.withTransaction(async () => {
      const state = await this.mustFind(user, true);
      if (state.enabled) {
        throw new MfaAlreadyEnabledError();
      }
      // Replaced by another setup while the hashes were made: this secret is no longer the pending one.
      if (!state.pending || !state.pending.ciphertext.equals(before.pending?.ciphertext ?? Buffer.alloc(0))) {
        throw new StaleMfaSecretError();
      }
      if (!(await this.repository.enable(user.organizationId, user.userId, this.sealer.seal(pending, { ...user, slot: 'active' }), step))) {
        throw new MfaAlreadyEnabledError();
      }
      await this.repository.replaceRecoveryCodes(user.organizationId, user.userId, hashes);
      await this.audit.record({ eventType: 'MFA_ENABLE', targetType: 'USER', targetId: user.userId, targetName: state.email });
      return { recoveryCodes: codes };
    });
  }

  /** MFA off, with a current TOTP code or an unused recovery code; refused while the organization requires MFA. */
  async disable(principal: Principal, dto: DisableMfaDto): Promise<Record<string, never>> {
    const user = signedInUser(principal);
    const before = await this.mustFind(user);
    if (!before.enabled) {
      throw new MfaNotEnabledError(404);
    }
    if ((await this.settings.find(user.organizationId)).mfaRequired) {
      throw new MfaRequiredByOrganizationError();
    }
    const match = await this.verifier.match(before, dto.code, { recoveryCodes: true });
    await this.txHost.withTransaction(async () => {
      const state = await this.mustFind(user, true);
      if (!state.enabled) {
        throw new MfaNotEnabledError(404);
      }
      await this.mustSpend(state, match);
      await this.repository.disable(user.organizationId, user.userId);
      await this.oneTimeTokens.revokeAll({ organizationId: user.organizationId, userId: user.userId }, ['MFA_CHALLENGE']);
      await this.audit.record({
        eventType: 'MFA_DISABLE',
        targetType: 'USER',
        targetId: user.userId,
        targetName: state.email,
        details: { mfaMethod: match?.method ?? null },
      });
    });
    return {};
  }

  /** 8 new recovery codes (every earlier one dies), with a current TOTP code: a token alone cannot mint them. */
  async regenerateRecoveryCodes(principal: Principal, dto: RegenerateRecoveryCodesDto): Promise<RecoveryCodesResponseDto> {
    const user = signedInUser(principal);
    const before = await this.mustFind(user);
    if (!before.enabled) {
      throw new MfaNotEnabledError(404);
    }
    const match = await this.verifier.match(before, dto.code, { recoveryCodes: false });
    const { codes, hashes } = await this.newRecoveryCodes();
    return this.txHost.withTransaction(async () => {
      const state = await this.mustFind(user, true);
      if (!state.enabled) {
        throw new MfaNotEnabledError(404);
      }
      await this.mustSpend(state, match);
      await this.repository.replaceRecoveryCodes(user.organizationId, user.userId, hashes);
      await this.audit.record({
        eventType: 'MFA_RECOVERY_CODES_REGENERATE',
        targetType: 'USER',
        targetId: user.userId,
        targetName: state.email,
      });
      return { recoveryCodes: codes };
    });
  }

  /**
   * The admin's reset (§11), inside the caller's transaction, which has locked and found the user:
   * MFA off, secrets and recovery codes gone, open challenges dead. False when MFA was not on.
   */
  async reset(organizationId: string, userId: string): Promise<boolean> {
    if (!(await this.repository.disable(organizationId, userId))) {
      return false;
    }
    await this.oneTimeTokens.revokeAll({ organizationId, userId }, ['MFA_CHALLENGE']);
    return true;
  }

  private async mustFind(user: SignedInUser, lock = false): Promise<MfaState> {
    const state = await this.repository.findState(user.organizationId, user.userId, lock);
    if (!state) {
      throw new UnauthorizedError();
    }
    return state;
  }

  /** The code matched before the transaction; now it must also be unspent (exactly one caller wins it). */
  private async mustSpend(state: MfaState, match: MfaCodeMatch | undefined): Promise<void> {
    if (!match || !(await this.verifier.spend(state, match))) {
      throw new InvalidMfaCodeError();
    }
  }

  /** Hashing is slow on purpose (argon2id, as passwords): done before a transaction holds a connection. */
  private async newRecoveryCodes(): Promise<{ codes: string[]; hashes: string[] }> {
    const codes = newRecoveryCodes();
    return { codes, hashes: await Promise.all(codes.map((code) => this.hasher.hash(code))) };
  }
}

/** MFA belongs to people: an API key has none of its own. */
function signedInUser(principal: Principal): SignedInUser {
  if (principal.kind !== 'user') {
    throw new ForbiddenError('MFA belongs to a signed-in user, not to an API key');
  }
  return { organizationId: principal.organizationId, userId: principal.userId };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
