import { Injectable } from '@nestjs/common';
import { UserRemovalHook, UserRemovalReason } from '@app/users';
import { ApiKeysRepository } from './api-keys.repository';

/**
 * §9: every API key of a removed user dies. A deleted user's keys go with the row (the tenant
 * foreign key cascades); a deactivated user's are revoked here, in the same transaction, so they
 * stay dead if the user is reactivated. (The lookup refuses an inactive creator's keys anyway.)
 */
@Injectable()
export class ApiKeyRemovalHook implements UserRemovalHook {
  constructor(private readonly repository: ApiKeysRepository) {}

  async onUserRemoved(organizationId: string, userId: string, reason: UserRemovalReason): Promise<void> {
    if (reason === 'DEACTIVATED') {
      await this.repository.revokeAllOfUser(organizationId, userId);
    }
  }
}
