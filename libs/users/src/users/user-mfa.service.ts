import { Injectable } from '@nestjs/common';
import { Principal, RequestContext } from '@app/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { MfaNotEnabledError, MfaService, UserDirectoryRepository } from '@app/auth';
import { ResetMfaResponseDto } from './dto/user.dto';
import { UserNotFoundError } from './user.errors';

/** An admin's reset of a member's MFA (§11), for a lost authenticator: the user sets it up again. */
@Injectable()
export class UserMfaService {
  constructor(
    private readonly directory: UserDirectoryRepository,
    private readonly mfa: MfaService,
    private readonly audit: AuditService,
    private readonly txHost: TxHost,
    private readonly context: RequestContext,
  ) {}

  /** The user first (404 for a missing or foreign id), then the rule: MFA must be on (400). */
  reset(principal: Principal, id: string): Promise<ResetMfaResponseDto> {
    const organizationId = principal.organizationId;
    return this.txHost.withTransaction(async () => {
      const user = await this.directory.lockUser(organizationId, id);
      if (!user) {
        throw new UserNotFoundError(id);
      }
      this.context.nameTarget(user.email);
      if (!(await this.mfa.reset(organizationId, id))) {
        throw new MfaNotEnabledError(400);
      }
      await this.audit.record({
        eventType: 'MFA_RESET',
        targetType: 'USER',
        targetId: id,
        targetName: user.email,
        details: { email: user.email },
      });
      return { message: 'MFA reset successfully' };
    });
  }
}
