import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { AccessGrant } from './access-grant.entity';

/** A permanent whitelist entry that an admin manages and the engine keeps applied (§16). */
@Entity({ name: 'static_ip_rules' })
@Unique('uq_static_ip_rules_org_id', ['organizationId', 'id'])
@Index('ix_static_ip_rules_org_created', ['organizationId', 'createdAt', 'id'])
export class StaticIpRule {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  // By table name: organizations belong to the auth library.
  @ForeignKey('organizations', { name: 'static_ip_rules_organization_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ type: 'varchar', length: 255 })
  label!: string;

  /** Normalized: an address as /32 or /128, or a network with no host bits. */
  @Column({ name: 'ip_address', type: 'varchar', length: 43 })
  ipAddress!: string;

  @Column({ name: 'created_by_email', type: 'varchar', length: 320, nullable: true })
  createdByEmail!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const STATIC_TARGET_STATUSES = ['PENDING', 'APPLIED', 'FAILED'] as const;
export type StaticTargetStatus = (typeof STATIC_TARGET_STATUSES)[number];

/** One resource of a static rule, and a grant holder while `holds`. The resource cannot be deleted under it. */
@Entity({ name: 'static_ip_rule_resources' })
@Unique('uq_static_ip_rule_resources', ['ruleId', 'resourceId'])
@Check('ck_static_ip_rule_resources_status', `status IN ('PENDING', 'APPLIED', 'FAILED')`)
@ForeignKey(() => StaticIpRule, ['organizationId', 'ruleId'], ['organizationId', 'id'], {
  name: 'fk_static_ip_rule_resources_rule',
  onDelete: 'CASCADE',
})
// By table name: resources belong to the resources library.
@ForeignKey('resources', ['organizationId', 'resourceId'], ['organization_id', 'id'], {
  name: 'fk_static_ip_rule_resources_resource',
  onDelete: 'RESTRICT',
})
@Index('ix_static_ip_rule_resources_grant', ['grantId'])
@Index('ix_static_ip_rule_resources_resource', ['resourceId'])
export class StaticIpRuleResource {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'rule_id', type: 'uuid' })
  ruleId!: string;

  @Column({ name: 'resource_id', type: 'uuid' })
  resourceId!: string;

  @ForeignKey(() => AccessGrant, { name: 'static_ip_rule_resources_grant_id_fkey', onDelete: 'SET NULL' })
  @Column({ name: 'grant_id', type: 'uuid', nullable: true })
  grantId!: string | null;

  @Column({ type: 'boolean', default: false })
  holds!: boolean;

  @Column({ type: 'varchar', length: 10 })
  status!: StaticTargetStatus;

  @Column({ name: 'applied_at', type: 'timestamptz', nullable: true })
  appliedAt!: Date | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
