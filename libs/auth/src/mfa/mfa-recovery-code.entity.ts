import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity';

/** One recovery code (§11): only its argon2id hash, single use. */
@Entity({ name: 'mfa_recovery_codes' })
@ForeignKey(() => User, ['organizationId', 'userId'], ['organizationId', 'id'], { name: 'fk_mfa_recovery_codes_user', onDelete: 'CASCADE' })
@Index('ix_mfa_recovery_codes_user', ['userId'])
export class MfaRecoveryCode {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'code_hash', type: 'text' })
  codeHash!: string;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
