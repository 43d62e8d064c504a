import { Injectable } from '@nestjs/common';
import { ValidationError } from '@app/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import {
  AuthResponseDto,
  AuthService,
  OneTimeTokenService,
  OrganizationSettingsRepository,
  PasswordHasher,
  passwordProblems,
  UserDirectoryRepository,
} from '@app/auth';
import { SetPasswordDto } from './dto/set-password.dto';
import { InvalidInvitationError } from './user.errors';

/** Accepting an invitation (§9): the invitee chooses a password and is signed in. */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly oneTimeTokens: OneTimeTokenService,
    private readonly settings: OrganizationSettingsRepository,
    private readonly hasher: PasswordHasher,
    private readonly directory: UserDirectoryRepository,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
    private readonly txHost: TxHost,
  ) {}

  /**
   * The token is only looked at until the password passes the organization's policy, so a refused
   * password leaves the link usable; it is spent inside the transaction that sets the password,
   * where exactly one of two racing requests can win it.
   */
  async setPassword(dto: SetPasswordDto): Promise<AuthResponseDto> {
    const owner = await this.oneTimeTokens.peek('INVITATION', dto.inviteToken);
    if (!owner) {
      throw new InvalidInvitationError();
    }
    const problems = passwordProblems(dto.password, await this.settings.find(owner.organizationId), 'password');
    if (problems.length > 0) {
      throw new ValidationError("The password does not meet the organization's password policy", problems);
    }
    // Hashing is slow on purpose; do it before the transaction holds a connection.
    const passwordHash = await this.hasher.hash(dto.password);
    return this.txHost.withTransaction(async () => {
      const spent = await this.oneTimeTokens.consume('INVITATION', dto.inviteToken);
      // A deactivated or already active user cannot accept: the rollback leaves the token as it was.
      if (!spent || !(await this.directory.acceptInvitation(spent.organizationId, spent.userId, passwordHash))) {
        throw new InvalidInvitationError();
      }
      const response = await this.auth.issueFor(spent.organizationId, spent.userId);
      await this.audit.record({
        eventType: 'INVITATION_ACCEPT',
        organizationId: spent.organizationId,
        actor: { id: spent.userId, email: response.user.email, type: 'USER' },
        targetType: 'USER',
        targetId: spent.userId,
        targetName: response.user.email,
        details: { email: response.user.email },
      });
      return response;
    });
  }
}
