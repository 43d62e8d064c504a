import { randomUUID } from 'node:crypto';
import { forwardRef, Inject, Injectable } from '@nestjs/common';
import { Principal, ValidationError } from '@app/common';
import { TxHost } from '@app/database';
import { AuditDetails, AuditService } from '@app/audit';
import { InvalidLoginError, InvalidRefreshTokenError } from './auth.errors';
import { AuthResponseDto, AuthUserDto, LoginDto, LoginResponse, PasswordExpiredResponseDto, RegisterDto } from './dto/auth.dto';
import { PasswordHasher } from './password-hasher';
import { MfaChallengeService } from './mfa/mfa-challenge.service';
import { PasswordExpiryService } from './passwords/password-expiry.service';
import { toSlug } from './slug';
import { RefreshTokenRepository } from './tokens/refresh-token.repository';
import { hashRefreshToken, TokenService } from './tokens/token.service';
import { UserAccount, UserRepository } from './users/user.repository';

type RefreshOutcome = { kind: 'rotated'; response: AuthResponseDto } | { kind: 'refused' };

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly tokens: TokenService,
    private readonly hasher: PasswordHasher,
    // Lazily: @app/audit decorates its controller with this library's access decorators.
    @Inject(forwardRef(() => AuditService)) private readonly audit: AuditService,
    private readonly txHost: TxHost,
    private readonly passwordExpiry: PasswordExpiryService,
    private readonly mfaChallenges: MfaChallengeService,
  ) {}

  async register(dto: RegisterDto): Promise<AuthResponseDto> {
    const slug = toSlug(dto.organizationName);
    if (!slug) {
      throw new ValidationError('Request validation failed', [
        { field: 'organizationName', message: 'organizationName must contain at least one letter or digit' },
      ]);
    }
    // Hashing is slow on purpose; do it before the transaction holds a connection.
    const passwordHash = await this.hasher.hash(dto.password);
    return this.txHost.withTransaction(async () => {
      const organizationId = await this.users.createOrganization(dto.organizationName, slug);
      const userId = await this.users.createUser(organizationId, dto.email, dto.name ?? null, passwordHash, 'ORG_ADMIN');
      const account = (await this.users.findAccount(organizationId, userId)) as UserAccount;
      await this.audit.record({
        eventType: 'USER_REGISTER',
        organizationId,
        actor: { id: userId, email: dto.email, type: 'USER' },
        targetType: 'ORGANIZATION',
        targetId: organizationId,
        targetName: dto.organizationName,
        details: { organizationSlug: slug, email: dto.email },
      });
      return this.issueTokens(account, randomUUID());
    });
  }

  async login(dto: LoginDto): Promise<LoginResponse> {
    const account = await this.users.findAccountForLogin(dto.organizationSlug, dto.email);
    const passwordOk = await this.hasher.verify(account?.passwordHash, dto.password);
    if (!account || !passwordOk || !account.isActive) {
      await this.recordFailedLogin(dto, account);
      throw new InvalidLoginError();
    }
    // Only after the password matched: a wrong one is the same 401, in the same time, as before.
    // The second factor comes first (§11); an expired password is answered once it is proven.
    if (account.mfaEnabled) {
      return this.mfaChallenges.issue(account);
    }
    return this.txHost.withTransaction(() => this.completeLogin(account));
  }

  /**
   * Every factor is proven (the password, and the second factor where MFA is on): the password-expiry
   * answer (§10), or the sign-in with its audit row and a new token family. Call it in a transaction.
   */
  async completeLogin(account: UserAccount, details?: AuditDetails): Promise<AuthResponseDto | PasswordExpiredResponseDto> {
    const expired = await this.passwordExpiry.expiredLogin(account);
    if (expired) {
      return expired;
    }
    await this.users.touchLastLogin(account.id);
    await this.audit.record({
      eventType: 'USER_LOGIN',
      organizationId: account.organizationId,
      actor: { id: account.id, email: account.email, type: 'USER' },
      targetType: 'USER',
      targetId: account.id,
      targetName: account.email,
      details,
    });
    return this.issueTokens(account, randomUUID());
  }

  async refresh(refreshToken: string): Promise<AuthResponseDto> {
    // The revocation of a reused token's family must commit even though the caller gets a 401.
    const outcome = await this.rotate(hashRefreshToken(refreshToken));
    if (outcome.kind === 'refused') {
      throw new InvalidRefreshTokenError();
    }
    return outcome.response;
  }

  private rotate(tokenHash: string): Promise<RefreshOutcome> {
    return this.txHost.withTransaction(async () => {
      const record = await this.refreshTokens.findByHashForUpdate(tokenHash);
      if (!record) {
        return { kind: 'refused' };
      }
      if (record.usedAt || record.revokedAt) {
        // A rotated token presented again means it was copied: end the whole family.
        await this.refreshTokens.revokeFamily(record.familyId);
        return { kind: 'refused' };
      }
      if (record.expiresAt.getTime() <= Date.now()) {
        return { kind: 'refused' };
      }
      const account = await this.users.findAccount(record.organizationId, record.userId);
      if (!account || !account.isActive) {
        await this.refreshTokens.revokeFamily(record.familyId);
        return { kind: 'refused' };
      }
      await this.refreshTokens.markUsed(record.id);
      return { kind: 'rotated', response: await this.issueTokens(account, record.familyId) };
    });
  }

  logout(refreshToken: string | undefined): Promise<Record<string, never>> {
    return this.txHost.withTransaction(async () => {
      if (!refreshToken) {
        return {};
      }
      const record = await this.refreshTokens.findByHashForUpdate(hashRefreshToken(refreshToken));
      if (record) {
        await this.refreshTokens.revokeFamily(record.familyId);
        const account = await this.users.findAccount(record.organizationId, record.userId);
        await this.audit.record({
          eventType: 'USER_LOGOUT',
          organizationId: record.organizationId,
          actor: { id: record.userId, email: account?.email ?? null, type: 'USER' },
          targetType: 'USER',
          targetId: record.userId,
          targetName: account?.email ?? null,
        });
      }
      return {};
    });
  }

  async me(principal: Principal): Promise<AuthUserDto> {
    const account = principal.kind === 'user' ? await this.users.findAccount(principal.organizationId, principal.userId) : undefined;
    if (!account) {
      throw new InvalidLoginError();
    }
    return toUserDto(account);
  }

  /**
   * Signs in a user whose identity another flow has just proved (an accepted invitation): a new
   * token family. Call it inside that flow's transaction, so the tokens commit with the change.
   */
  async issueFor(organizationId: string, userId: string): Promise<AuthResponseDto> {
    const account = await this.users.findAccount(organizationId, userId);
    if (!account || !account.isActive) {
      throw new InvalidLoginError();
    }
    return this.issueTokens(account, randomUUID());
  }

  private async recordFailedLogin(dto: LoginDto, account: UserAccount | undefined): Promise<void> {
    const organizationId = account?.organizationId ?? (await this.users.findOrganizationIdBySlug(dto.organizationSlug)) ?? null;
    await this.audit.record({
      eventType: 'USER_LOGIN',
      organizationId,
      actor: { id: account?.id ?? null, email: dto.email, type: 'USER' },
      targetType: 'USER',
      targetId: account?.id ?? null,
      targetName: dto.email,
      result: 'FAILURE',
      errorCode: 'UNAUTHORIZED',
      errorMessage: 'Invalid organization, email or password',
      details: { organizationSlug: dto.organizationSlug },
    });
  }

  private async issueTokens(account: UserAccount, familyId: string): Promise<AuthResponseDto> {
    const refresh = this.tokens.newRefreshToken();
    await this.refreshTokens.insert({
      userId: account.id,
      organizationId: account.organizationId,
      familyId,
      tokenHash: refresh.hash,
      expiresAt: refresh.expiresAt,
    });
    return {
      accessToken: this.tokens.signAccessToken({ sub: account.id, org: account.organizationId, role: account.role }),
      refreshToken: refresh.token,
      expiresIn: this.tokens.accessTtlSeconds,
      tokenType: 'Bearer',
      user: toUserDto(account),
      // §11: the organization requires MFA and this user has not set it up (the token is restricted).
      ...(account.mfaRequiredByOrganization && !account.mfaEnabled ? { mfaSetupRequired: true as const } : {}),
    };
  }
}

function toUserDto(account: UserAccount): AuthUserDto {
  return {
    id: account.id,
    email: account.email,
    name: account.name,
    isOrgAdmin: account.role === 'ORG_ADMIN',
    role: account.role,
    organizationId: account.organizationId,
    organizationName: account.organizationName,
    organizationSlug: account.organizationSlug,
    subscriptionTier: account.subscriptionTier,
  };
}
