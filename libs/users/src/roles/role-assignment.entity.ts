import { CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn, Column } from 'typeorm';
import { Role } from './role.entity';

/** A user in a role. Tenant keys: both sides must be of the role's organization. */
@Entity({ name: 'role_users' })
@ForeignKey(() => Role, ['organizationId', 'roleId'], ['organizationId', 'id'], { name: 'fk_role_users_role', onDelete: 'CASCADE' })
// By table name: users belong to the auth library.
@ForeignKey('users', ['organizationId', 'userId'], ['organization_id', 'id'], { name: 'fk_role_users_user', onDelete: 'CASCADE' })
@Index('ix_role_users_user', ['userId'])
export class RoleUser {
  @PrimaryColumn({ name: 'role_id', type: 'uuid', primaryKeyConstraintName: 'pk_role_users' })
  roleId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'pk_role_users' })
  userId!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A resource in a role. Deleting the resource or the role detaches it (§12). */
@Entity({ name: 'role_resources' })
@ForeignKey(() => Role, ['organizationId', 'roleId'], ['organizationId', 'id'], { name: 'fk_role_resources_role', onDelete: 'CASCADE' })
// By table name: resources belong to the resources library.
@ForeignKey('resources', ['organizationId', 'resourceId'], ['organization_id', 'id'], {
  name: 'fk_role_resources_resource',
  onDelete: 'CASCADE',
})
@Index('ix_role_resources_resource', ['resourceId'])
export class RoleResource {
  @PrimaryColumn({ name: 'role_id', type: 'uuid', primaryKeyConstraintName: 'pk_role_resources' })
  roleId!: string;

  @PrimaryColumn({ name: 'resource_id', type: 'uuid', primaryKeyConstraintName: 'pk_role_resources' })
  resourceId!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
