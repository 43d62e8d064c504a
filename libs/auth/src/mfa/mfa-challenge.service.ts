import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { ONE_TIME_TOKEN_TTL_SECONDS, OneTimeTokenService } from '../tokens/one-time-token.service';
import { MfaChallengeResponseDto } from './dto/mfa.dto';

/**
 * The answer of a sign-in whose password (or reset link) was right, for a user with MFA on (§11):
 * a challenge token (5 minutes, single use) and no tokens yet. An earlier open challenge stays
 * open (two devices signing in at once both finish); each takes at most five wrong codes.
 */
@Injectable()
export class MfaChallengeService {
  constructor(
    private readonly oneTimeTokens: OneTimeTokenService,
    private readonly txHost: TxHost,
  ) {}

  async issue(account: { organizationId: string; id: string }): Promise<MfaChallengeResponseDto> {
    const mfaChallengeToken = await this.txHost.withTransaction(() =>
      this.oneTimeTokens.issue('MFA_CHALLENGE', { organizationId: account.organizationId, userId: account.id }),
    );
    return {
      mfaRequired: true,
      mfaChallengeToken,
      mfaChallengeExpiresIn: ONE_TIME_TOKEN_TTL_SECONDS.MFA_CHALLENGE,
      accessToken: null,
      refreshToken: null,
      user: null,
    };
  }
}
