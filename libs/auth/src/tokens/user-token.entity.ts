import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { User } from '../users/user.entity';

export const USER_TOKEN_PURPOSES = ['INVITATION', 'PASSWORD_RESET', 'PASSWORD_CHANGE', 'MFA_CHALLENGE'] as const;
export type UserTokenPurpose = (typeof USER_TOKEN_PURPOSES)[number];

/** A single-use token sent to or held by one user (invitation, reset, ...): only its SHA-256 is stored. */
@Entity({ name: 'user_tokens' })
@Unique('uq_user_tokens_hash', ['tokenHash'])
@Index('ix_user_tokens_user_purpose', ['userId', 'purpose'])
@Check('ck_user_tokens_purpose', `purpose IN ('INVITATION', 'PASSWORD_RESET', 'PASSWORD_CHANGE', 'MFA_CHALLENGE')`)
@ForeignKey(() => User, ['organizationId', 'userId'], ['organizationId', 'id'], { name: 'fk_user_tokens_user', onDelete: 'CASCADE' })
export class UserToken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 30 })
  purpose!: UserTokenPurpose;

  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  /** Wrong answers given with this token (MFA challenges die at five); counted in the database, never in memory. */
  @Column({ name: 'failed_attempts', type: 'integer', default: 0 })
  failedAttempts!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
