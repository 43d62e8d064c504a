import { BeforeApplicationShutdown, forwardRef, Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError, FieldError, Principal, UnauthorizedError, ValidationError } from '@app/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { MailService } from '@app/mail';
import { AuthService } from '../auth.service';
import { AuthResponseDto } from '../dto/auth.dto';
import { MfaChallengeResponseDto } from '../mfa/dto/mfa.dto';
import { MfaChallengeService } from '../mfa/mfa-challenge.service';
import { PasswordHasher } from '../password-hasher';
import { OrganizationSettingsRepository } from '../settings/organization-settings.repository';
import { OneTimeTokenService, TokenOwner } from '../tokens/one-time-token.service';
import { RefreshTokenRepository } from '../tokens/refresh-token.repository';
import { hashRefreshToken } from '../tokens/token.service';
import { UserAccount, UserRepository } from '../users/user.repository';
import { ChangeExpiredPasswordDto, ChangePasswordDto, ForgotPasswordDto, ResetPasswordDto } from './dto/passwords.dto';
import { passwordProblems } from './password-policy';
import { CurrentPasswordIncorrectError, INVALID_PASSWORD_CHANGE_TOKEN, INVALID_RESET_TOKEN, InvalidTokenError } from './passwords.errors';
import { PasswordsRepository, ResetTarget } from './passwords.repository';
import { resetPasswordMail } from './reset-password.mail';

/**
 * §10's password flows: change (signed in), forgot and reset (by mail), and the change an expired
 * password forces. A new password is judged against the organization's policy before anything
 * is spent; the token, the password, the refresh tokens it ends and the audit row commit together.
 */
@Injectable()
export class PasswordsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('PasswordsService');
  /** Reset requests answered and still being written (see forgot). */
  private readonly pendingResetRequests = new Set<Promise<void>>();

  constructor(
    private readonly users: UserRepository,
    private readonly passwords: PasswordsRepository,
    private readonly settings: OrganizationSettingsRepository,
    private readonly oneTimeTokens: OneTimeTokenService,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly hasher: PasswordHasher,
    private readonly auth: AuthService,
    private readonly mail: MailService,
    // Lazily: @app/audit decorates its controller with this library's access decorators.
    @Inject(forwardRef(() => AuditService)) private readonly audit: AuditService,
    private readonly txHost: TxHost,
    private readonly mfaChallenges: MfaChallengeService,
  ) {}

  /** Every other refresh token of the user dies; the caller's own session survives when it names its refresh token. */
  async change(principal: Principal, dto: ChangePasswordDto): Promise<Record<string, never>> {
    const account = principal.kind === 'user' ? await this.users.findAccount(principal.organizationId, principal.userId) : undefined;
    if (!account) {
      throw new UnauthorizedError();
    }
    if (!(await this.hasher.verify(account.passwordHash, dto.currentPassword))) {
      throw await this.refusedChange(account, new CurrentPasswordIncorrectError());
    }
    try {
      await this.checkNewPassword(account.organizationId, dto.newPassword, 'newPassword', dto.newPassword === dto.currentPassword);
    } catch (error) {
      throw error instanceof ValidationError ? await this.refusedChange(account, error) : error;
    }
    const passwordHash = await this.hasher.hash(dto.newPassword);
    await this.txHost.withTransaction(async () => {
      // Only over the hash just verified: of two changes from one current password, one wins.
      if (!(await this.passwords.setPassword(account.organizationId, account.id, passwordHash, account.passwordHash))) {
        throw new CurrentPasswordIncorrectError();
      }
      const keepFamilyId = dto.refreshToken ? await this.liveFamilyOf(account, dto.refreshToken) : undefined;
      await this.endOtherCredentials(account, keepFamilyId);
      await this.audit.record({ eventType: 'PASSWORD_CHANGE', targetType: 'USER', targetId: account.id, targetName: account.email });
    });
    return {};
  }

  /**
   * Answers in the same time whether or not the user exists: before the answer, both paths run the
   * same one statement (who is it?). The rest (token, queued mail, audit row, in one transaction)
   * happens only for a user that exists, after the answer has gone: a commit that writes rows
   * takes measurably longer (several milliseconds here) than one that writes nothing, and a
   * failure there would tell the caller too. The mail worker sends the mail later still.
   */
  async forgot(dto: ForgotPasswordDto): Promise<void> {
    const target = await this.passwords.findResetTarget(dto.organizationSlug, dto.email);
    if (target?.canReset) {
      this.afterTheAnswer(() => this.sendResetMail(target));
    }
  }

  /**
   * A refused password leaves the token usable: it is spent only in the transaction that sets the
   * new one. A reset link proves only the first factor: a user with MFA on gets the MFA challenge
   * (§11) instead of tokens, as a login would.
   */
  async reset(dto: ResetPasswordDto): Promise<AuthResponseDto | MfaChallengeResponseDto> {
    const account = await this.tokenHolder('PASSWORD_RESET', dto.token, INVALID_RESET_TOKEN);
    await this.checkNewPassword(account.organizationId, dto.password, 'password', false);
    const passwordHash = await this.hasher.hash(dto.password);
    return this.txHost.withTransaction(async () => {
      if (!(await this.oneTimeTokens.consume('PASSWORD_RESET', dto.token))) {
        throw new InvalidTokenError(INVALID_RESET_TOKEN);
      }
      await this.setNewPassword(account, passwordHash, 'PASSWORD_RESET', INVALID_RESET_TOKEN);
      return account.mfaEnabled ? this.mfaChallenges.issue(account) : this.signIn(account);
    });
  }

  async changeExpired(dto: ChangeExpiredPasswordDto): Promise<AuthResponseDto> {
    const account = await this.tokenHolder('PASSWORD_CHANGE', dto.passwordChangeToken, INVALID_PASSWORD_CHANGE_TOKEN);
    const sameAsExpired = await this.hasher.verify(account.passwordHash, dto.newPassword);
    await this.checkNewPassword(account.organizationId, dto.newPassword, 'newPassword', sameAsExpired);
    const passwordHash = await this.hasher.hash(dto.newPassword);
    return this.txHost.withTransaction(async () => {
      if (!(await this.oneTimeTokens.consume('PASSWORD_CHANGE', dto.passwordChangeToken))) {
        throw new InvalidTokenError(INVALID_PASSWORD_CHANGE_TOKEN);
      }
      // The change token of an MFA user is only handed out after its second factor (verify-mfa).
      await this.setNewPassword(account, passwordHash, 'PASSWORD_CHANGE', INVALID_PASSWORD_CHANGE_TOKEN);
      return this.signIn(account);
    });
  }

  /** The active user a usable token belongs to; anything else is the one INVALID_TOKEN answer. */
  private async tokenHolder(purpose: 'PASSWORD_RESET' | 'PASSWORD_CHANGE', token: string, message: string): Promise<UserAccount> {
    const owner = await this.oneTimeTokens.peek(purpose, token);
    const account = owner ? await this.users.findAccount(owner.organizationId, owner.userId) : undefined;
    if (!account?.isActive) {
      throw new InvalidTokenError(message);
    }
    return account;
  }

  /** Inside the transaction that spent the token: the password, the end of every session, the audit row. */
  private async setNewPassword(
    account: UserAccount,
    passwordHash: string,
    eventType: 'PASSWORD_RESET' | 'PASSWORD_CHANGE',
    invalidTokenMessage: string,
  ): Promise<void> {
    // Deactivated since the token was read: the token is worth nothing (and stays unspent with the rollback).
    if (!(await this.passwords.setPassword(account.organizationId, account.id, passwordHash))) {
      throw new InvalidTokenError(invalidTokenMessage);
    }
    await this.endOtherCredentials(account);
    await this.audit.record({
      eventType,
      organizationId: account.organizationId,
      actor: { id: account.id, email: account.email, type: 'USER' },
      targetType: 'USER',
      targetId: account.id,
      targetName: account.email,
    });
  }

  /** A new sign-in, in the same transaction. */
  private async signIn(account: UserAccount): Promise<AuthResponseDto> {
    await this.users.touchLastLogin(account.id);
    return this.auth.issueFor(account.organizationId, account.id);
  }

  /**
   * A new password ends the user's refresh tokens (but `keepFamilyId`'s) and any reset, change or
   * MFA challenge token still unused (a challenge proved the old password).
   */
  private async endOtherCredentials(account: UserAccount, keepFamilyId?: string): Promise<void> {
    await this.refreshTokens.revokeAllForUser(account.organizationId, account.id, keepFamilyId);
    await this.oneTimeTokens.revokeAll({ organizationId: account.organizationId, userId: account.id }, [
      'PASSWORD_RESET',
      'PASSWORD_CHANGE',
      'MFA_CHALLENGE',
    ]);
  }

  /** The family of the caller's refresh token, if it is the user's own and still live; otherwise none survives. */
  private async liveFamilyOf(account: UserAccount, refreshToken: string): Promise<string | undefined> {
    const record = await this.refreshTokens.findByHashForUpdate(hashRefreshToken(refreshToken));
    const live =
      record &&
      record.userId === account.id &&
      record.organizationId === account.organizationId &&
      !record.usedAt &&
      !record.revokedAt &&
      record.expiresAt.getTime() > Date.now();
    return live ? record.familyId : undefined;
  }

  /** Every rule the password breaks, and reuse of the current one, as details under the request's field. */
  private async checkNewPassword(organizationId: string, password: string, field: string, sameAsCurrent: boolean): Promise<void> {
    const problems: FieldError[] = passwordProblems(password, await this.settings.find(organizationId), field);
    if (sameAsCurrent) {
      problems.push({ field, message: 'must differ from the current password' });
    }
    if (problems.length > 0) {
      throw new ValidationError(
        problems.length === 1 && sameAsCurrent
          ? 'The new password must differ from the current password'
          : "The password does not meet the organization's password policy",
        problems,
      );
    }
  }

  /**
   * Starts `work` in a transaction of its own once the current request has answered (a timer
   * runs after the reply is written), in the request's context, so the audit row still carries
   * its address and request id. A failure is logged by kind only: its text could name the user.
   */
  private afterTheAnswer(work: () => Promise<void>): void {
    const running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.txHost.withTransaction(work))
      .catch((error: unknown) => {
        const kind = error instanceof Error ? `${error.name}${'code' in error ? ` ${String(error.code)}` : ''}` : 'unknown error';
        this.logger.error(`A password reset request was answered but could not be recorded (${kind})`);
      })
      .finally(() => this.pendingResetRequests.delete(running));
    this.pendingResetRequests.add(running);
  }

  /** Before the database closes: reset requests already answered are written first. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.pendingResetRequests]);
  }

  private async sendResetMail(target: ResetTarget): Promise<void> {
    const owner: TokenOwner = { organizationId: target.organizationId, userId: target.id };
    const token = await this.oneTimeTokens.issue('PASSWORD_RESET', owner, { replacePrevious: true });
    await this.mail.send(resetPasswordMail(target.email, target.organizationName, this.mail.link('/reset-password', { token })));
    await this.audit.record({
      eventType: 'PASSWORD_RESET_REQUEST',
      organizationId: target.organizationId,
      actor: { id: null, email: null, type: 'ANONYMOUS' },
      targetType: 'USER',
      targetId: target.id,
      targetName: target.email,
    });
  }

  /**
   * A refused change is on record (FAILURE, with its code), written on its own before any
   * transaction; the filter's refusal recorder then leaves it alone (auditRecorded).
   */
  private async refusedChange<E extends DomainError>(account: UserAccount, error: E): Promise<E> {
    await this.audit.record({
      eventType: 'PASSWORD_CHANGE',
      targetType: 'USER',
      targetId: account.id,
      targetName: account.email,
      result: 'FAILURE',
      errorCode: error.code,
      errorMessage: error.message,
    });
    error.auditRecorded = true;
    return error;
  }
}
