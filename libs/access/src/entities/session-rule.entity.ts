import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { AccessGrant, type RuleStatus } from './access-grant.entity';
import { Session } from './session.entity';

/** One (resource, IP version) of a session: the API's `resourceIps` entry, and a grant holder while `holds`. */
@Entity({ name: 'session_rules' })
@ForeignKey(() => Session, ['organizationId', 'sessionId'], ['organizationId', 'id'], {
  name: 'fk_session_rules_session',
  onDelete: 'CASCADE',
})
@Check('ck_session_rules_ip_version', 'ip_version IN (4, 6)')
@Check('ck_session_rules_status', `status IN ('PENDING', 'APPLIED', 'FAILED', 'REMOVING', 'REMOVED')`)
@Index('ix_session_rules_session', ['sessionId'])
@Index('ix_session_rules_grant', ['grantId'])
export class SessionRule {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  /** No foreign key: the record outlives the resource (which cannot go while this rule holds). */
  @Column({ name: 'resource_id', type: 'uuid' })
  resourceId!: string;

  @Column({ name: 'resource_name', type: 'varchar', length: 200 })
  resourceName!: string;

  @Column({ name: 'ip_version', type: 'smallint' })
  ipVersion!: 4 | 6;

  @Column({ name: 'ip_address', type: 'varchar', length: 39 })
  ipAddress!: string;

  @ForeignKey(() => AccessGrant, { name: 'session_rules_grant_id_fkey', onDelete: 'SET NULL' })
  @Column({ name: 'grant_id', type: 'uuid', nullable: true })
  grantId!: string | null;

  @Column({ type: 'boolean', default: false })
  holds!: boolean;

  @Column({ type: 'varchar', length: 10 })
  status!: RuleStatus;

  @Column({ name: 'provider_rule_id', type: 'varchar', length: 255, nullable: true })
  providerRuleId!: string | null;

  @Column({ name: 'applied_at', type: 'timestamptz', nullable: true })
  appliedAt!: Date | null;

  @Column({ name: 'removed_at', type: 'timestamptz', nullable: true })
  removedAt!: Date | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
