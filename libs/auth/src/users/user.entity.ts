import { Check, Column, CreateDateColumn, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Role } from '@app/common';
import { Organization } from './organization.entity';

@Entity({ name: 'users' })
@Unique('uq_users_org_email', ['organizationId', 'email'])
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

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 20 })
  role!: Role;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive!: boolean;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  // A plain column, not @UpdateDateColumn: every builder UPDATE would otherwise bump it.
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
