import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A set of users and the resources they may reach (§12). */
@Entity({ name: 'roles' })
@Unique('uq_roles_org_id', ['organizationId', 'id'])
// Unique on lower(name): an expression index TypeORM cannot describe, kept out of the diff.
@Index('uq_roles_org_name', { synchronize: false })
// Column order and DESC live in the migration; TypeORM compares an index by name and column set.
@Index('ix_roles_org_created', ['organizationId', 'createdAt', 'id'])
@Check('ck_roles_max_session_duration', 'max_session_duration_hours BETWEEN 1 AND 168')
export class Role {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  // By table name: organizations belong to the auth library.
  @ForeignKey('organizations', { name: 'roles_organization_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description!: string | null;

  @Column({ name: 'max_session_duration_hours', type: 'integer', nullable: true })
  maxSessionDurationHours!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
