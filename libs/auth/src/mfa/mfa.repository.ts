import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import { TxHost } from '@app/database';
import { User } from '../users/user.entity';
import { MfaRecoveryCode } from './mfa-recovery-code.entity';
import { SealedMfaSecret } from './mfa-secret-sealer.port';
import { UserMfa } from './user-mfa.entity';

/** A user's MFA state as the rules need it: raw, one statement. */
export interface MfaState {
  organizationId: string;
  userId: string;
  email: string;
  enabled: boolean;
  /** The confirmed secret, sealed; null while MFA is off. */
  secret: SealedMfaSecret | null;
  lastUsedStep: number | null;
  /** The secret a setup offered, sealed, while its 10 minutes last; null otherwise. */
  pending: SealedMfaSecret | null;
}

interface MfaStateRow {
  email: string;
  mfa_enabled_at: Date | null;
  secret_ciphertext: Buffer | null;
  secret_iv: Buffer | null;
  secret_auth_tag: Buffer | null;
  secret_key_version: number | null;
  last_used_step: number | null;
  pending_ciphertext: Buffer | null;
  pending_iv: Buffer | null;
  pending_auth_tag: Buffer | null;
  pending_key_version: number | null;
  pending_live: boolean | null;
}

const STATE_COLUMNS = [
  'secretCiphertext',
  'secretIv',
  'secretAuthTag',
  'secretKeyVersion',
  'lastUsedStep',
  'pendingCiphertext',
  'pendingIv',
  'pendingAuthTag',
  'pendingKeyVersion',
] as const satisfies ReadonlyArray<keyof UserMfa>;

const columnName = (property: string) => property.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

export interface StoredRecoveryCode {
  id: string;
  hash: string;
}

function sealed(ciphertext: Buffer | null, iv: Buffer | null, authTag: Buffer | null, keyVersion: number | null): SealedMfaSecret | null {
  return ciphertext && iv && authTag && keyVersion !== null ? { ciphertext, iv, authTag, keyVersion } : null;
}

/**
 * The owner of user_mfa and mfa_recovery_codes, and of users.mfa_enabled_at. Every statement is
 * scoped by organization and user; the transaction's manager when there is one.
 */
@Injectable()
export class MfaRepository {
  constructor(private readonly txHost: TxHost) {}

  private get users(): Repository<User> {
    return this.txHost.tx.getRepository(User);
  }

  private get mfa(): Repository<UserMfa> {
    return this.txHost.tx.getRepository(UserMfa);
  }

  private get recoveryCodes(): Repository<MfaRecoveryCode> {
    return this.txHost.tx.getRepository(MfaRecoveryCode);
  }

  /**
   * The user's state; with `lock`, the users row is locked for the rest of the transaction, which
   * serializes every MFA change of one user (setup, confirm, disable, regenerate, reset).
   */
  async findState(organizationId: string, userId: string, lock = false): Promise<MfaState | undefined> {
    const query = this.users
      .createQueryBuilder('u')
      .select('u.email', 'email')
      .addSelect('u.mfaEnabledAt', 'mfa_enabled_at')
      .leftJoin(UserMfa, 'm', 'm.userId = u.id');
    for (const property of STATE_COLUMNS) {
      query.addSelect(`m.${property}`, columnName(property));
    }
    query
      .addSelect('m.pendingExpiresAt > now()', 'pending_live')
      .where('u.organizationId = :organizationId AND u.id = :userId', { organizationId, userId });
    if (lock) {
      // Only the users row: the user_mfa row may not exist yet, and an outer join cannot be locked.
      query.setLock('pessimistic_write', undefined, ['u']);
    }
    const row = await query.getRawOne<MfaStateRow>();
    if (!row) {
      return undefined;
    }
    return {
      organizationId,
      userId,
      email: row.email,
      enabled: row.mfa_enabled_at !== null,
      secret: sealed(row.secret_ciphertext, row.secret_iv, row.secret_auth_tag, row.secret_key_version),
      lastUsedStep: row.last_used_step,
      pending: row.pending_live ? sealed(row.pending_ciphertext, row.pending_iv, row.pending_auth_tag, row.pending_key_version) : null,
    };
  }

  /** The setup's secret, valid `ttlSeconds` from now (by the database's clock); an earlier one is replaced. */
  async savePending(organizationId: string, userId: string, secret: SealedMfaSecret, ttlSeconds: number): Promise<void> {
    await this.mfa
      .createQueryBuilder()
      .insert()
      .values({
        userId,
        organizationId,
        pendingCiphertext: secret.ciphertext,
        pendingIv: secret.iv,
        pendingAuthTag: secret.authTag,
        pendingKeyVersion: secret.keyVersion,
        pendingExpiresAt: () => `now() + make_interval(secs => ${Math.trunc(ttlSeconds)})`,
      })
      .orUpdate(
        ['pending_ciphertext', 'pending_iv', 'pending_auth_tag', 'pending_key_version', 'pending_expires_at', 'updated_at'],
        ['user_id'],
      )
      .updateEntity(false)
      .execute();
  }

  /** MFA on: the confirmed secret, the step its code used (spent), no pending secret. False if it was on already. */
  async enable(organizationId: string, userId: string, secret: SealedMfaSecret, usedStep: number): Promise<boolean> {
    const turnedOn = await this.users
      .createQueryBuilder()
      .update()
      .set({ mfaEnabledAt: () => 'now()', updatedAt: () => 'now()' })
      .where('organization_id = :organizationId AND id = :userId AND mfa_enabled_at IS NULL', { organizationId, userId })
      .updateEntity(false)
      .execute();
    if (!turnedOn.affected) {
      return false;
    }
    await this.mfa.update(
      { organizationId, userId },
      {
        secretCiphertext: secret.ciphertext,
        secretIv: secret.iv,
        secretAuthTag: secret.authTag,
        secretKeyVersion: secret.keyVersion,
        lastUsedStep: usedStep,
        pendingCiphertext: null,
        pendingIv: null,
        pendingAuthTag: null,
        pendingKeyVersion: null,
        pendingExpiresAt: null,
        updatedAt: () => 'now()',
      },
    );
    return true;
  }

  /**
   * Spends a TOTP time step: true for exactly one caller, and only for a step later than every
   * step accepted before (the UPDATE is the check, so two requests with one code cannot both win).
   */
  async spendStep(organizationId: string, userId: string, step: number): Promise<boolean> {
    const result = await this.mfa
      .createQueryBuilder()
      .update()
      .set({ lastUsedStep: step, updatedAt: () => 'now()' })
      .where('organization_id = :organizationId AND user_id = :userId AND secret_ciphertext IS NOT NULL', { organizationId, userId })
      .andWhere('(last_used_step IS NULL OR last_used_step < :step)', { step })
      .updateEntity(false)
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** MFA off: secrets, spent steps and recovery codes gone. False if it was not on. */
  async disable(organizationId: string, userId: string): Promise<boolean> {
    const turnedOff = await this.users
      .createQueryBuilder()
      .update()
      .set({ mfaEnabledAt: null, updatedAt: () => 'now()' })
      .where('organization_id = :organizationId AND id = :userId AND mfa_enabled_at IS NOT NULL', { organizationId, userId })
      .updateEntity(false)
      .execute();
    await this.mfa.delete({ organizationId, userId });
    await this.recoveryCodes.delete({ organizationId, userId });
    return (turnedOff.affected ?? 0) > 0;
  }

  /** The user's recovery codes become exactly these hashes (every earlier code dies). */
  async replaceRecoveryCodes(organizationId: string, userId: string, hashes: string[]): Promise<void> {
    await this.recoveryCodes.delete({ organizationId, userId });
    await this.recoveryCodes
      .createQueryBuilder()
      .insert()
      .values(hashes.map((codeHash) => ({ organizationId, userId, codeHash })))
      .updateEntity(false)
      .execute();
  }

  async unusedRecoveryCodes(organizationId: string, userId: string): Promise<StoredRecoveryCode[]> {
    const rows = await this.recoveryCodes
      .createQueryBuilder('r')
      .select('r.id', 'id')
      .addSelect('r.codeHash', 'hash')
      .where('r.organizationId = :organizationId AND r.userId = :userId AND r.usedAt IS NULL', { organizationId, userId })
      .getRawMany<StoredRecoveryCode>();
    return rows;
  }

  /** Spends one recovery code: true for exactly one caller. */
  async spendRecoveryCode(organizationId: string, userId: string, id: string): Promise<boolean> {
    const result = await this.recoveryCodes
      .createQueryBuilder()
      .update()
      .set({ usedAt: () => 'now()' })
      .where('organization_id = :organizationId AND user_id = :userId AND id = :id AND used_at IS NULL', { organizationId, userId, id })
      .updateEntity(false)
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
