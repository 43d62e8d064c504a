import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { ApiKeyScope } from '@app/common';
import { User } from '@app/auth';

/**
 * An API key (§15). Only the SHA-256 of the key is stored (256 random bits: a slow hash adds
 * nothing), unique; the first 15 characters are kept in clear as its public prefix. The key belongs
 * to its creator: the tenant foreign key (organization_id, created_by) ends it with the user.
 */
@Entity({ name: 'api_keys' })
@Unique('uq_api_keys_hash', ['keyHash'])
@Unique('uq_api_keys_org_id', ['organizationId', 'id'])
// Column order and DESC live in the migration; TypeORM compares an index by name and column set.
@Index('ix_api_keys_org_created', ['organizationId', 'createdAt', 'id'])
@Index('ix_api_keys_creator', ['organizationId', 'createdBy'])
@Check(
  'ck_api_keys_scopes',
  `cardinality(scopes) > 0 AND scopes <@ ARRAY['sessions:read', 'sessions:write', 'resources:read', 'audit:read']::text[]`,
)
@Check('ck_api_keys_prefix', `key_prefix ~ '^egk_live_[0-9A-Za-z]{6}$'`)
@ForeignKey(() => User, ['organizationId', 'createdBy'], ['organizationId', 'id'], { name: 'fk_api_keys_creator', onDelete: 'CASCADE' })
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'created_by', type: 'uuid' })
  createdBy!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description!: string | null;

  @Column({ name: 'key_prefix', type: 'varchar', length: 15 })
  keyPrefix!: string;

  @Column({ name: 'key_hash', type: 'char', length: 64 })
  keyHash!: string;

  @Column({ type: 'text', array: true })
  scopes!: ApiKeyScope[];

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 64, nullable: true })
  lastUsedIp!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
