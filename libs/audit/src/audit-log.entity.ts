import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One audit row. Append-only: the migration's triggers refuse UPDATE, DELETE and TRUNCATE
 * (TypeORM does not model triggers, and its schema diff leaves them alone).
 * No foreign key to organizations: rows outlive the organization they name.
 */
@Entity({ name: 'audit_logs' })
// The migration's inline CHECK got PostgreSQL's default name; TypeORM compares checks by name.
@Check('audit_logs_result_check', `result IN ('SUCCESS', 'FAILURE')`)
// Column order and DESC live in the migration; TypeORM compares an index by name and column set.
@Index('ix_audit_org_created', ['organizationId', 'createdAt', 'id'])
@Index('ix_audit_org_event', ['organizationId', 'eventType', 'createdAt'])
@Index('ix_audit_org_target', ['organizationId', 'resourceId', 'createdAt'])
@Index('ix_audit_org_actor', ['organizationId', 'actorEmail', 'createdAt'])
export class AuditLog {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid', nullable: true })
  organizationId!: string | null;

  @Column({ name: 'organization_name', type: 'varchar', length: 200, nullable: true })
  organizationName!: string | null;

  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType!: string;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ name: 'actor_email', type: 'varchar', length: 320, nullable: true })
  actorEmail!: string | null;

  @Column({ name: 'actor_type', type: 'varchar', length: 20 })
  actorType!: string;

  @Column({ name: 'resource_type', type: 'varchar', length: 40, nullable: true })
  resourceType!: string | null;

  @Column({ name: 'resource_id', type: 'uuid', nullable: true })
  resourceId!: string | null;

  @Column({ name: 'resource_name', type: 'varchar', length: 255, nullable: true })
  resourceName!: string | null;

  @Column({ type: 'varchar', length: 10 })
  result!: string;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode!: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'ip_address', type: 'varchar', length: 64, nullable: true })
  ipAddress!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  @Column({ type: 'jsonb', default: {} })
  details!: Record<string, unknown>;

  // clock_timestamp(), not now(): rows written in one transaction still sort in write order.
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;
}
