import { forwardRef, Inject, Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { AuthService } from '../auth.service';
import { AuthResponseDto, PasswordExpiredResponseDto } from '../dto/auth.dto';
import { OneTimeTokenService } from '../tokens/one-time-token.service';
import { UserAccount, UserRepository } from '../users/user.repository';
import { VerifyMfaDto } from './dto/mfa.dto';
import { MfaCodeVerifier } from './mfa-code.verifier';
import { InvalidMfaChallengeError, WrongMfaCodeError } from './mfa.errors';
import { MfaRepository } from './mfa.repository';

/** §11: the fifth wrong code ends the challenge. */
export const MFA_CHALLENGE_MAX_FAILURES = 5;

type Outcome =
  { kind: 'signedIn'; response: AuthResponseDto | PasswordExpiredResponseDto } | { kind: 'wrongCode' } | { kind: 'deadChallenge' };

/**
 * The second step of a sign-in (POST /auth/verify-mfa): the challenge the password step answered,
 * and a current TOTP code or an unused recovery code. A wrong code counts against the challenge in
 * the database, and is on record as a USER_LOGIN failure; both commit although the caller gets 401.
 */
@Injectable()
export class MfaLoginService {
  constructor(
    private readonly oneTimeTokens: OneTimeTokenService,
    private readonly users: UserRepository,
    private readonly repository: MfaRepository,
    private readonly verifier: MfaCodeVerifier,
    private readonly auth: AuthService,
    // Lazily: @app/audit decorates its controller with this library's access decorators.
    @Inject(forwardRef(() => AuditService)) private readonly audit: AuditService,
    private readonly txHost: TxHost,
  ) {}

  async verify(dto: VerifyMfaDto): Promise<AuthResponseDto | PasswordExpiredResponseDto> {
    const owner = await this.oneTimeTokens.peek('MFA_CHALLENGE', dto.mfaChallengeToken);
    const account = owner ? await this.users.findAccount(owner.organizationId, owner.userId) : undefined;
    const state = account?.isActive ? await this.repository.findState(account.organizationId, account.id) : undefined;
    if (!account || !state?.enabled) {
      throw new InvalidMfaChallengeError();
    }
    // The slow part (argon2id over recovery codes) before the transaction holds a connection.
    const match = await this.verifier.match(state, dto.code, { recoveryCodes: true });
    const outcome = await this.txHost.withTransaction(async (): Promise<Outcome> => {
      const challenge = await this.oneTimeTokens.lockUsable('MFA_CHALLENGE', dto.mfaChallengeToken);
      if (!challenge || challenge.owner.userId !== account.id) {
        return { kind: 'deadChallenge' };
      }
      if (!match || !(await this.verifier.spend(state, match))) {
        await this.oneTimeTokens.recordFailure(challenge.owner, challenge.id, MFA_CHALLENGE_MAX_FAILURES);
        await this.recordWrongCode(account);
        return { kind: 'wrongCode' };
      }
      await this.oneTimeTokens.spend(challenge.owner, challenge.id);
      return { kind: 'signedIn', response: await this.auth.completeLogin(account, { mfaMethod: match.method }) };
    });
    if (outcome.kind === 'deadChallenge') {
      throw new InvalidMfaChallengeError();
    }
    if (outcome.kind === 'wrongCode') {
      throw new WrongMfaCodeError();
    }
    return outcome.response;
  }

  private recordWrongCode(account: UserAccount): Promise<void> {
    return this.audit.record({
      eventType: 'USER_LOGIN',
      organizationId: account.organizationId,
      actor: { id: account.id, email: account.email, type: 'USER' },
      targetType: 'USER',
      targetId: account.id,
      targetName: account.email,
      result: 'FAILURE',
      errorCode: 'UNAUTHORIZED',
      errorMessage: 'Invalid MFA code',
      details: { organizationSlug: account.organizationSlug },
    });
  }
}
