import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/**
 * The engine's work row for one firewall: "bring it to what its grants say" (`due_at`) and
 * "compare it with the provider" (`reconcile_due_at`). Claimed with SKIP LOCKED and a lease, so one
 * firewall is edited by one instance at a time; `generation` moves with every change, so a run
 * that started before a change leaves the row due.
 */
@Entity({ name: 'resource_sync' })
@Index('ix_resource_sync_due', ['dueAt'])
@Index('ix_resource_sync_reconcile_due', ['reconcileDueAt'])
export class ResourceSync {
  // By table name: resources belong to the resources library.
  @ForeignKey('resources', 'id', { name: 'resource_sync_resource_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'resource_id', type: 'uuid' })
  resourceId!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'due_at', type: 'timestamptz', nullable: true })
  dueAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  generation!: number;

  @Column({ name: 'leased_until', type: 'timestamptz', nullable: true })
  leasedUntil!: Date | null;

  @Column({ name: 'reconcile_due_at', type: 'timestamptz', nullable: true })
  reconcileDueAt!: Date | null;

  /** The last reconcile verdict written as an event (RECONCILE_OK / RECONCILE_FAILED). */
  @Column({ type: 'varchar', length: 20, nullable: true })
  health!: string | null;

  @Column({ name: 'stale_cidrs', type: 'jsonb', nullable: true })
  staleCidrs!: string[] | null;
}
