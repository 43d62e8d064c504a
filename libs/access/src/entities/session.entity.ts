import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

export const SESSION_STATUSES = ['PENDING', 'ACTIVE', 'PARTIAL', 'FAILED', 'EXPIRING', 'EXPIRED', 'CANCELLED'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
/** States in which a session holds (or waits for) rules and counts against the concurrency cap. */
export const LIVE_SESSION_STATUSES: readonly SessionStatus[] = ['PENDING', 'ACTIVE', 'PARTIAL'];
export const SESSION_END_REASONS = ['EXPIRED', 'MANUAL', 'ADMIN', 'USER_REMOVED'] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/** A member's time-limited opening of every firewall they may reach (§13). */
@Entity({ name: 'sessions' })
@Unique('uq_sessions_org_id', ['organizationId', 'id'])
@Check('ck_sessions_status', `status IN ('PENDING', 'ACTIVE', 'PARTIAL', 'FAILED', 'EXPIRING', 'EXPIRED', 'CANCELLED')`)
@Check('ck_sessions_ended_reason', `ended_reason IN ('EXPIRED', 'MANUAL', 'ADMIN', 'USER_REMOVED')`)
@Check('ck_sessions_address', 'ipv4_address IS NOT NULL OR ipv6_address IS NOT NULL')
// Column order and DESC live in the migration; TypeORM compares an index by name and column set.
@Index('ix_sessions_org_user_created', ['organizationId', 'userId', 'createdAt', 'id'])
@Index('ix_sessions_org_created', ['organizationId', 'createdAt', 'id'])
// A partial index (live sessions only): its WHERE clause lives in the migration.
@Index('ix_sessions_live_expiry', { synchronize: false })
// The same for sessions still settling (PENDING, EXPIRING): the settle sweep's index.
@Index('ix_sessions_settling', { synchronize: false })
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  // By table name: organizations belong to the auth library.
  @ForeignKey('organizations', { name: 'sessions_organization_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  /** No foreign key: the session's history outlives a deleted user, whose name and e-mail stay here. */
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'user_name', type: 'varchar', length: 200, nullable: true })
  userName!: string | null;

  @Column({ name: 'user_email', type: 'varchar', length: 320 })
  userEmail!: string;

  @Column({ name: 'ipv4_address', type: 'varchar', length: 15, nullable: true })
  ipv4Address!: string | null;

  @Column({ name: 'ipv6_address', type: 'varchar', length: 39, nullable: true })
  ipv6Address!: string | null;

  @Column({ type: 'varchar', length: 10 })
  status!: SessionStatus;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'ended_reason', type: 'varchar', length: 20, nullable: true })
  endedReason!: SessionEndReason | null;

  /** The expiry job's lease on this session once it is past `expiresAt` (which instance ends it). */
  @Column({ name: 'expiry_claimed_until', type: 'timestamptz', nullable: true })
  expiryClaimedUntil!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
