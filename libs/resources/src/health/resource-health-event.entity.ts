import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

export const HEALTH_EVENT_TYPES = ['VERIFY_OK', 'VERIFY_FAILED', 'RECONCILE_OK', 'RECONCILE_FAILED'] as const;
export type HealthEventType = (typeof HEALTH_EVENT_TYPES)[number];

/** A change in a resource's verification or reconcile state (§14): written only when the state changes. */
@Entity({ name: 'resource_health_events' })
@Check('ck_resource_health_events_type', `event_type IN ('VERIFY_OK', 'VERIFY_FAILED', 'RECONCILE_OK', 'RECONCILE_FAILED')`)
@ForeignKey('resources', ['organizationId', 'resourceId'], ['organization_id', 'id'], {
  name: 'fk_resource_health_events_resource',
  onDelete: 'CASCADE',
})
// Column order and DESC live in the migration; TypeORM compares an index by name and column set.
@Index('ix_resource_health_events_org_created', ['organizationId', 'createdAt', 'id'])
@Index('ix_resource_health_events_resource', ['organizationId', 'resourceId', 'createdAt', 'id'])
export class ResourceHealthEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'resource_id', type: 'uuid' })
  resourceId!: string;

  @Column({ name: 'resource_name', type: 'varchar', length: 200 })
  resourceName!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 20 })
  eventType!: HealthEventType;

  @Column({ type: 'text', nullable: true })
  message!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  details!: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
