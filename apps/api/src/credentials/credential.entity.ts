import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn, Unique } from 'typeorm';
import { ProviderName } from '@app/providers';

/**
 * One stored cloud credential: the secret only as AES-256-GCM ciphertext, bound to its
 * organization and id. The id is made by the service (it is part of the cipher's binding).
 */
@Entity({ name: 'credentials' })
// The target of resources' composite tenant foreign key (organization_id, credential_id).
@Unique('uq_credentials_org_id', ['organizationId', 'id'])
@Unique('uq_credentials_org_name', ['organizationId', 'name'])
// The migration's inline CHECK got PostgreSQL's default name; TypeORM compares checks by name.
@Check('credentials_provider_check', `provider IN ('AWS', 'GCP', 'AZURE', 'APISIX')`)
// Column order and DESC live in the migration; TypeORM compares an index by name and column set.
@Index('ix_credentials_org_created', ['organizationId', 'createdAt', 'id'])
@Index('ix_credentials_verify_due', ['verifyDueAt'])
@Index('ix_credentials_key_version', ['keyVersion'])
export class Credential {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  // By table name: organizations belong to the auth library, which the app composes.
  @ForeignKey('organizations', { name: 'credentials_organization_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 20 })
  provider!: ProviderName;

  @Column({ name: 'credential_type', type: 'varchar', length: 40 })
  credentialType!: string;

  @Column({ type: 'bytea' })
  ciphertext!: Buffer;

  @Column({ type: 'bytea' })
  iv!: Buffer;

  @Column({ name: 'auth_tag', type: 'bytea' })
  authTag!: Buffer;

  @Column({ name: 'key_version', type: 'integer' })
  keyVersion!: number;

  /** null until the first verification, and when the provider is not supported yet. */
  @Column({ name: 'is_valid', type: 'boolean', nullable: true })
  isValid!: boolean | null;

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
