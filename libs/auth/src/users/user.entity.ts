import { Check, Column, CreateDateColumn, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Role } from '@app/common';
import { Organization } from './organization.entity';

@Entity({ name: 'users' })
@Unique('uq_users_org_email', ['organizationId', 'email'])
// The target of tenant foreign keys (roles, one-time tokens): (organization_id, id).
@Unique('uq_users_org_id', ['organizationId', 'id'])
// The migration's inline CHECK got PostgreSQL's default name; TypeORM compares checks by name.
@Check('users_role_check', `role IN ('ORG_ADMIN', 'USER')`)
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  // A foreign key without a relation: queries join explicitly, so nothing hydrates by accident.
  @ForeignKey(() => Organization, { name: 'users_organization_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ type: 'varchar', length: 320 })
  email!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  name!: string | null;

  /** Null until an invited user sets one. */
  @Column({ name: 'password_hash', type: 'text', nullable: true })
  passwordHash!: string | null;

  @Column({ type: 'varchar', length: 20 })
  role!: Role;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive!: boolean;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;

  /** Invited, and the invitation not yet accepted. */
  @Column({ name: 'invitation_pending', type: 'boolean', default: false })
  invitationPending!: boolean;

  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt!: Date | null;

  /** When the password was last set; password expiry (§10) counts from here. */
  @Column({ name: 'password_changed_at', type: 'timestamptz', nullable: true })
  passwordChangedAt!: Date | null;

  /** When MFA (§11) was turned on; null while it is off. The secrets live in user_mfa. */
  @Column({ name: 'mfa_enabled_at', type: 'timestamptz', nullable: true })
  mfaEnabledAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  // A plain column, not @UpdateDateColumn: every builder UPDATE would otherwise bump it.
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
