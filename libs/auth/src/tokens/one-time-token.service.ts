import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { IsNull, MoreThan, Repository } from 'typeorm';
import { TxHost } from '@app/database';
import { UserToken, UserTokenPurpose } from './user-token.entity';

export interface TokenOwner {
  organizationId: string;
  userId: string;
}

/** The lifetimes of the contract: invitation 7 days (§9), reset 1 hour, password change 10 minutes (§10). */
export const ONE_TIME_TOKEN_TTL_SECONDS: Record<UserTokenPurpose, number> = {
  INVITATION: 7 * 24 * 3600,
  PASSWORD_RESET: 3600,
  PASSWORD_CHANGE: 600,
  MFA_CHALLENGE: 300,
};

/** Tokens from clients are well-formed base64url before any lookup (43 characters for 256 bits). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function hashOneTimeToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Single-use tokens for one user and one purpose: 256 random bits, only the SHA-256 stored.
 * Unknown, spent, expired and wrongly-shaped tokens all look the same to callers (undefined),
 * so the answer never tells which it was.
 */
@Injectable()
export class OneTimeTokenService {
  constructor(private readonly txHost: TxHost) {}

  private get tokens(): Repository<UserToken> {
    return this.txHost.tx.getRepository(UserToken);
  }

  /** A new token; with `replacePrevious`, the owner's earlier unused tokens of this purpose die. */
  async issue(purpose: UserTokenPurpose, owner: TokenOwner, options: { replacePrevious?: boolean } = {}): Promise<string> {
    if (options.replacePrevious) {
      await this.tokens.update(
        { organizationId: owner.organizationId, userId: owner.userId, purpose, usedAt: IsNull() },
        { usedAt: () => 'now()' },
      );
    }
    const token = randomBytes(32).toString('base64url');
    await this.tokens.insert({
      organizationId: owner.organizationId,
      userId: owner.userId,
      purpose,
      tokenHash: hashOneTimeToken(token),
      expiresAt: new Date(Date.now() + ONE_TIME_TOKEN_TTL_SECONDS[purpose] * 1000),
    });
    return token;
  }

  /** Whose token it is, if it is still usable; spends nothing (so a refused request keeps it). */
  async peek(purpose: UserTokenPurpose, token: string): Promise<TokenOwner | undefined> {
    if (!TOKEN_SHAPE.test(token)) {
      return undefined;
    }
    const found = await this.tokens.findOne({
      select: { organizationId: true, userId: true },
      where: { tokenHash: hashOneTimeToken(token), purpose, usedAt: IsNull(), expiresAt: MoreThan(new Date()) },
    });
    return found ? { organizationId: found.organizationId, userId: found.userId } : undefined;
  }

  /**
   * Spends the token: exactly one caller wins, even when two race (the UPDATE is the check).
   * Call it inside the transaction that does what the token allows, so both commit together.
   */
  async consume(purpose: UserTokenPurpose, token: string): Promise<TokenOwner | undefined> {
    if (!TOKEN_SHAPE.test(token)) {
      return undefined;
    }
    const result = await this.tokens
      .createQueryBuilder()
      .update()
      .set({ usedAt: () => 'now()' })
      .where('token_hash = :hash AND purpose = :purpose AND used_at IS NULL AND expires_at > now()', {
        hash: hashOneTimeToken(token),
        purpose,
      })
      .returning(['organizationId', 'userId'])
      .updateEntity(false)
      .execute();
    const row = (result.raw as Array<{ organization_id: string; user_id: string }>)[0];
    return row ? { organizationId: row.organization_id, userId: row.user_id } : undefined;
  }

  /**
   * The usable token's row, locked for the rest of the transaction: attempts on one token (an MFA
   * challenge) run one at a time, so its failures are counted exactly, and one attempt spends it.
   */
  async lockUsable(purpose: UserTokenPurpose, token: string): Promise<{ id: string; owner: TokenOwner } | undefined> {
    if (!TOKEN_SHAPE.test(token)) {
      return undefined;
    }
    const found = await this.tokens
      .createQueryBuilder('t')
      .select(['t.id', 't.organizationId', 't.userId'])
      .where('t.tokenHash = :hash AND t.purpose = :purpose AND t.usedAt IS NULL AND t.expiresAt > now()', {
        hash: hashOneTimeToken(token),
        purpose,
      })
      .setLock('pessimistic_write')
      .getOne();
    return found ? { id: found.id, owner: { organizationId: found.organizationId, userId: found.userId } } : undefined;
  }

  /** Spends a token locked by lockUsable. */
  async spend(owner: TokenOwner, id: string): Promise<void> {
    await this.tokens.update({ organizationId: owner.organizationId, userId: owner.userId, id }, { usedAt: () => 'now()' });
  }

  /** One more wrong answer on the token; the `maxFailures`th ends it (in the database: every instance sees it). */
  async recordFailure(owner: TokenOwner, id: string, maxFailures: number): Promise<void> {
    await this.tokens
      .createQueryBuilder()
      .update()
      .set({
        failedAttempts: () => 'failed_attempts + 1',
        usedAt: () => `CASE WHEN failed_attempts + 1 >= ${Math.trunc(maxFailures)} THEN now() ELSE used_at END`,
      })
      .where('organization_id = :organizationId AND user_id = :userId AND id = :id', { ...owner, id })
      .updateEntity(false)
      .execute();
  }

  /** Every unused token of the user dies (user removed or deactivated, password changed). */
  async revokeAll(owner: TokenOwner, purposes?: UserTokenPurpose[]): Promise<void> {
    const query = this.tokens
      .createQueryBuilder()
      .update()
      .set({ usedAt: () => 'now()' })
      .where('organization_id = :organizationId AND user_id = :userId AND used_at IS NULL', owner);
    if (purposes) {
      query.andWhere('purpose IN (:...purposes)', { purposes });
    }
    await query.updateEntity(false).execute();
  }
}
