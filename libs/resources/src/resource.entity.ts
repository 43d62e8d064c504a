import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn, Unique } from 'typeorm';
import { ProviderName } from '@app/providers';

/** A firewall (security group, APISIX route, ...) reached through one of the organization's credentials. */
@Entity({ name: 'resources' })
// The tenant foreign key: a resource can only name a credential of its own organization.
// By table name, because credentials belong to the app, which a library never imports.
@ForeignKey('credentials', ['organizationId', 'credentialId'], ['organization_id', 'id'], {
  name: 'fk_resources_credential',
  onDelete: 'RESTRICT',
})
// The migration's inline CHECK got PostgreSQL's default name; TypeORM compares checks by name.
// The target of tenant foreign keys from roles: (organization_id, id).
@Unique('uq_resources_org_id', ['organizationId', 'id'])
@Check('resources_provider_check', `provider IN ('AWS', 'GCP', 'AZURE', 'APISIX')`)
// An expression index on coalesce(region, ''), which TypeORM cannot describe: kept out of the diff.
@Index('uq_resources_identity', { synchronize: false })
// Column order and DESC live in the migration; TypeORM compares an index by name and column set.
@Index('ix_resources_org_credential', ['organizationId', 'credentialId', 'createdAt', 'id'])
@Index('ix_resources_org_created', ['organizationId', 'createdAt', 'id'])
@Index('ix_resources_verify_due', ['verifyDueAt'])
export class Resource {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  // By table name: organizations belong to the auth library.
  @ForeignKey('organizations', { name: 'resources_organization_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'credential_id', type: 'uuid' })
  credentialId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 20 })
  provider!: ProviderName;

  @Column({ name: 'resource_type', type: 'varchar', length: 40 })
  resourceType!: string;

  @Column({ name: 'resource_identifier', type: 'varchar', length: 255 })
  resourceIdentifier!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  region!: string | null;

  @Column({ type: 'jsonb', default: {} })
  config!: Record<string, unknown>;

  @Column({ name: 'is_active', type: 'boolean', default: false })
  isActive!: boolean;

  @Column({ name: 'last_verified_at', type: 'timestamptz', nullable: true })
  lastVerifiedAt!: Date | null;

  @Column({ name: 'verification_error', type: 'text', nullable: true })
  verificationError!: string | null;

  @Column({ name: 'verify_due_at', type: 'timestamptz', default: () => 'now()' })
  verifyDueAt!: Date;

  /** Moves whenever what verification checks changes; a verdict is saved only against the revision it read. */
  @Column({ name: 'revision', type: 'integer', default: 0 })
  revision!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  // A plain column, not @UpdateDateColumn: verification and claims must not bump it.
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
