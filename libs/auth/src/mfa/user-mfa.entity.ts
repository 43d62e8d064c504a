import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity';

/**
 * A user's TOTP secrets (§11), each sealed like a credential (AES-256-GCM with the credential
 * keyring, bound to the user): the confirmed one, and the one a setup offered, which lives 10
 * minutes until confirmed. `lastUsedStep` is the last TOTP time step accepted anywhere: a code of
 * that step or an earlier one is spent. Whether MFA is on is users.mfa_enabled_at.
 */
@Entity({ name: 'user_mfa' })
@ForeignKey(() => User, ['organizationId', 'userId'], ['organizationId', 'id'], { name: 'fk_user_mfa_user', onDelete: 'CASCADE' })
@Check('ck_user_mfa_secret', 'num_nulls(secret_ciphertext, secret_iv, secret_auth_tag, secret_key_version) IN (0, 4)')
@Check(
  'ck_user_mfa_pending',
  'num_nulls(pending_ciphertext, pending_iv, pending_auth_tag, pending_key_version, pending_expires_at) IN (0, 5)',
)
export class UserMfa {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'pk_user_mfa' })
  userId!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'secret_ciphertext', type: 'bytea', nullable: true })
  secretCiphertext!: Buffer | null;

  @Column({ name: 'secret_iv', type: 'bytea', nullable: true })
  secretIv!: Buffer | null;

  @Column({ name: 'secret_auth_tag', type: 'bytea', nullable: true })
  secretAuthTag!: Buffer | null;

  @Column({ name: 'secret_key_version', type: 'integer', nullable: true })
  secretKeyVersion!: number | null;

  @Column({ name: 'last_used_step', type: 'integer', nullable: true })
  lastUsedStep!: number | null;

  @Column({ name: 'pending_ciphertext', type: 'bytea', nullable: true })
  pendingCiphertext!: Buffer | null;

  @Column({ name: 'pending_iv', type: 'bytea', nullable: true })
  pendingIv!: Buffer | null;

  @Column({ name: 'pending_auth_tag', type: 'bytea', nullable: true })
  pendingAuthTag!: Buffer | null;

  @Column({ name: 'pending_key_version', type: 'integer', nullable: true })
  pendingKeyVersion!: number | null;

  @Column({ name: 'pending_expires_at', type: 'timestamptz', nullable: true })
  pendingExpiresAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
