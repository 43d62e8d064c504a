import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { PasswordExpiredResponseDto } from '../dto/auth.dto';
import { OrganizationSettingsRepository } from '../settings/organization-settings.repository';
import { OneTimeTokenService } from '../tokens/one-time-token.service';
import { PasswordsRepository } from './passwords.repository';

/** §10's expiry: login asks for it only after the password matched, so its 401s and timing stay as they were. */
@Injectable()
export class PasswordExpiryService {
  constructor(
    private readonly settings: OrganizationSettingsRepository,
    private readonly passwords: PasswordsRepository,
    private readonly oneTimeTokens: OneTimeTokenService,
    private readonly txHost: TxHost,
  ) {}

  /**
   * Login's answer when the organization lets passwords expire and this one is older: a password
   * change token (10 minutes, single use; an earlier one dies) and no sign-in. Undefined otherwise.
   */
  async expiredLogin(account: { organizationId: string; id: string }): Promise<PasswordExpiredResponseDto | undefined> {
    const { passwordExpirationDays } = await this.settings.find(account.organizationId);
    if (
      passwordExpirationDays === null ||
      !(await this.passwords.isPasswordOlderThan(account.organizationId, account.id, passwordExpirationDays))
    ) {
      return undefined;
    }
    const passwordChangeToken = await this.txHost.withTransaction(() =>
      this.oneTimeTokens.issue(
        'PASSWORD_CHANGE',
        { organizationId: account.organizationId, userId: account.id },
        { replacePrevious: true },
      ),
    );
    return { passwordExpired: true, passwordChangeToken, accessToken: null, refreshToken: null, user: null };
  }
}
