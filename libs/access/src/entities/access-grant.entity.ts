import { Check, Column, CreateDateColumn, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';

export const RULE_STATUSES = ['PENDING', 'APPLIED', 'FAILED', 'REMOVING', 'REMOVED'] as const;
export type RuleStatus = (typeof RULE_STATUSES)[number];

/**
 * One provider rule: (resource, CIDR). It is on the provider while at least one holder (a
 * session's rule or a static rule's target with `holds = true`) needs it.
 */
@Entity({ name: 'access_grants' })
@Unique('uq_access_grants_resource_cidr', ['resourceId', 'cidr'])
@Check('ck_access_grants_status', `status IN ('PENDING', 'APPLIED', 'FAILED', 'REMOVING', 'REMOVED')`)
// By table name: resources belong to the resources library.
@ForeignKey('resources', ['organizationId', 'resourceId'], ['organization_id', 'id'], {
  name: 'fk_access_grants_resource',
  onDelete: 'CASCADE',
})
export class AccessGrant {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'resource_id', type: 'uuid' })
  resourceId!: string;

  @Column({ type: 'varchar', length: 43 })
  cidr!: string;

  @Column({ type: 'varchar', length: 10 })
  status!: RuleStatus;

  /** What the provider shows next to the rule (AWS); names EntryGuard, so reconcile knows its own rules. */
  @Column({ type: 'varchar', length: 255 })
  description!: string;

  /** When the current apply began: the deadline for transient failures runs from here. */
  @Column({ name: 'pending_since', type: 'timestamptz', nullable: true })
  pendingSince!: Date | null;

  /** Set once a call that may add the rule has been made: from then on a removal must ask the provider. */
  @Column({ name: 'apply_started_at', type: 'timestamptz', nullable: true })
  applyStartedAt!: Date | null;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'applied_at', type: 'timestamptz', nullable: true })
  appliedAt!: Date | null;

  @Column({ name: 'removed_at', type: 'timestamptz', nullable: true })
  removedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
