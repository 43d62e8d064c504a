import { Injectable } from '@nestjs/common';
import { UserRemovalHook } from '@app/users';
import { SessionLifecycle } from './session-lifecycle';

/** A deleted or deactivated user's live sessions end with USER_REMOVED, in the removal's transaction. */
@Injectable()
export class SessionRemovalHook implements UserRemovalHook {
  constructor(private readonly lifecycle: SessionLifecycle) {}

  async onUserRemoved(organizationId: string, userId: string): Promise<void> {
    await this.lifecycle.endAllOf(organizationId, userId);
  }
}
