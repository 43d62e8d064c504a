import { Inject, Injectable } from '@nestjs/common';
import { ForbiddenError, Principal, RequestContext, Role, ValidationError } from '@app/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import {
  DirectoryUserState,
  ONE_TIME_TOKEN_TTL_SECONDS,
  OneTimeTokenService,
  RefreshTokenRepository,
  UserDirectoryRepository,
} from '@app/auth';
import { MailService } from '@app/mail';
import { CreateUserDto, ResendInvitationResponseDto, UpdateUserDto, UserDto } from './dto/user.dto';
import { invitationMail } from './invitation.mail';
import { toUserDto } from './user.mapper';
import { USER_REMOVAL_HOOKS, UserRemovalHook, UserRemovalReason } from './user-removal.port';
import {
  AdminRemoval,
  InactiveInviteeError,
  InvitationAlreadyAcceptedError,
  LastAdminError,
  UserAlreadyExistsError,
  UserNotFoundError,
} from './user.errors';

const INVITATION_VALID_DAYS = ONE_TIME_TOKEN_TTL_SECONDS.INVITATION / 86_400;

/** An admin who counts for the last-admin rule: active, and able to sign in. */
function countsAsAdmin(user: Pick<DirectoryUserState, 'role' | 'isActive' | 'invitationPending'>): boolean {
  return user.role === 'ORG_ADMIN' && user.isActive && !user.invitationPending;
}

/** The people of an organization (§9): invitations, role and activity changes, removal. */
@Injectable()
export class UsersService {
  constructor(
    private readonly directory: UserDirectoryRepository,
    private readonly oneTimeTokens: OneTimeTokenService,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly mail: MailService,
    private readonly audit: AuditService,
    private readonly txHost: TxHost,
    private readonly context: RequestContext,
    @Inject(USER_REMOVAL_HOOKS) private readonly removalHooks: UserRemovalHook[],
  ) {}

  async list(principal: Principal): Promise<UserDto[]> {
    return (await this.directory.list(principal.organizationId)).map(toUserDto);
  }

  get(principal: Principal, id: string): Promise<UserDto> {
    return this.mustFind(principal.organizationId, id);
  }

  /** The user exists with no password, and the invitation mail commits with it (or neither does). */
  invite(principal: Principal, dto: CreateUserDto): Promise<UserDto> {
    const organizationId = principal.organizationId;
    this.context.nameTarget(dto.email);
    return this.txHost.withTransaction(async () => {
      const role: Role = dto.isOrgAdmin ? 'ORG_ADMIN' : 'USER';
      const id = await this.directory.insertInvited(organizationId, dto.email, dto.name ?? null, role);
      if (!id) {
        throw new UserAlreadyExistsError(dto.email);
      }
      await this.sendInvitation(principal, { id, email: dto.email }, false);
      await this.audit.record({
        eventType: 'USER_INVITE',
        targetType: 'USER',
        targetId: id,
        targetName: dto.email,
        details: { email: dto.email, isOrgAdmin: role === 'ORG_ADMIN' },
      });
      return this.mustFind(organizationId, id);
    });
  }

  /** A new token and mail; every earlier token of the invitation dies. */
  resendInvitation(principal: Principal, id: string): Promise<ResendInvitationResponseDto> {
    const organizationId = principal.organizationId;
    return this.txHost.withTransaction(async () => {
      const user = await this.mustLock(organizationId, id);
      if (!user.invitationPending) {
        throw new InvitationAlreadyAcceptedError();
      }
      if (!user.isActive) {
        throw new InactiveInviteeError();
      }
      await this.sendInvitation(principal, user, true);
      await this.audit.record({
        eventType: 'USER_INVITE',
        targetType: 'USER',
        targetId: id,
        targetName: user.email,
        details: { email: user.email, invitationResent: true },
      });
      return { message: 'Invitation resent successfully' };
    });
  }

  async update(principal: Principal, id: string, dto: UpdateUserDto): Promise<UserDto> {
    if (dto.name === undefined && dto.isOrgAdmin === undefined && dto.isActive === undefined) {
      throw new ValidationError('Request validation failed', [{ field: 'body', message: 'provide name, isOrgAdmin or isActive' }]);
    }
    const organizationId = principal.organizationId;
    return this.txHost.withTransaction(async () => {
      await this.lockForAdminChange(principal);
      const user = await this.mustLock(organizationId, id);
      const role: Role = dto.isOrgAdmin === undefined ? user.role : dto.isOrgAdmin ? 'ORG_ADMIN' : 'USER';
      const isActive = dto.isActive ?? user.isActive;
      await this.keepOneAdmin(organizationId, user, { ...user, role, isActive }, role !== user.role ? 'demote' : 'deactivate');

      const changes = {
        ...(dto.name !== undefined && dto.name !== user.name ? { name: dto.name } : {}),
        ...(role !== user.role ? { role } : {}),
        ...(isActive !== user.isActive ? { isActive } : {}),
      };
      const changedFields = Object.keys(changes).map((key) => (key === 'role' ? 'isOrgAdmin' : key));
      if (changedFields.length > 0) {
        await this.directory.update(organizationId, id, changes);
      }
      if (user.isActive && !isActive) {
        await this.removeAccess(organizationId, id, 'DEACTIVATED');
      }
      await this.audit.record({
        eventType: 'USER_UPDATE',
        targetType: 'USER',
        targetId: id,
        targetName: user.email,
        details: { email: user.email, changedFields, isOrgAdmin: role === 'ORG_ADMIN', isActive },
      });
      return this.mustFind(organizationId, id);
    });
  }

  /** §9: gone from every role, every token dead; the email can be invited again. */
  delete(principal: Principal, id: string): Promise<void> {
    const organizationId = principal.organizationId;
    return this.txHost.withTransaction(async () => {
      await this.lockForAdminChange(principal);
      const user = await this.mustLock(organizationId, id);
      await this.keepOneAdmin(organizationId, user, { ...user, isActive: false }, 'delete');
      await this.removeAccess(organizationId, id, 'DELETED');
      await this.directory.delete(organizationId, id);
      await this.audit.record({
        eventType: 'USER_DELETE',
        targetType: 'USER',
        targetId: id,
        targetName: user.email,
        details: { email: user.email, isOrgAdmin: user.role === 'ORG_ADMIN' },
      });
    });
  }

  /**
   * Serializes every change that can take away an admin (the organization row lock), then checks
   * that the caller is still an admin: one whose own demotion committed while it waited is refused
   * as its next request would be (403), instead of acting with a role it no longer has.
   */
  private async lockForAdminChange(principal: Principal): Promise<void> {
    await this.directory.lockOrganization(principal.organizationId);
    if (principal.kind !== 'user') {
      return;
    }
    const actor = await this.directory.lockUser(principal.organizationId, principal.userId);
    if (!actor || actor.role !== 'ORG_ADMIN' || !actor.isActive) {
      throw new ForbiddenError('This action requires the ORG_ADMIN role');
    }
  }

  /** Under the organization lock: a change may not leave the organization without an admin. */
  private async keepOneAdmin(
    organizationId: string,
    before: DirectoryUserState,
    after: DirectoryUserState,
    action: AdminRemoval,
  ): Promise<void> {
    if (countsAsAdmin(before) && !countsAsAdmin(after) && (await this.directory.countActiveAdmins(organizationId, before.id)) === 0) {
      throw new LastAdminError(action);
    }
  }

  /**
   * Inside the caller's transaction: the seam's hooks first (sessions), then every token of the
   * user. A deleted user's tokens go with the row (ON DELETE CASCADE); a deactivated one's die here.
   */
  private async removeAccess(organizationId: string, userId: string, reason: UserRemovalReason): Promise<void> {
    for (const hook of this.removalHooks) {
      await hook.onUserRemoved(organizationId, userId, reason);
    }
    if (reason === 'DEACTIVATED') {
      await this.refreshTokens.revokeAllForUser(organizationId, userId);
      await this.oneTimeTokens.revokeAll({ organizationId, userId });
    }
  }

  private async sendInvitation(principal: Principal, user: { id: string; email: string }, replacePrevious: boolean): Promise<void> {
    const organizationId = principal.organizationId;
    const token = await this.oneTimeTokens.issue('INVITATION', { organizationId, userId: user.id }, { replacePrevious });
    const organizationName = (await this.directory.organizationName(organizationId)) ?? 'your organization';
    await this.mail.send(
      invitationMail({
        to: user.email,
        organizationName,
        invitedBy: principal.kind === 'user' ? principal.email : 'An administrator',
        link: this.mail.link('/set-password', { token }),
        validDays: INVITATION_VALID_DAYS,
      }),
    );
  }

  private async mustLock(organizationId: string, id: string): Promise<DirectoryUserState> {
    const user = await this.directory.lockUser(organizationId, id);
    if (!user) {
      throw new UserNotFoundError(id);
    }
    this.context.nameTarget(user.email);
    return user;
  }

  private async mustFind(organizationId: string, id: string): Promise<UserDto> {
    const row = await this.directory.findById(organizationId, id);
    if (!row) {
      throw new UserNotFoundError(id);
    }
    return toUserDto(row);
  }
}
