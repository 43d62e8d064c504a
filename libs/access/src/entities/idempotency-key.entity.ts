import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** The first answer to a POST sent with an `Idempotency-Key` (§13), kept 24 hours. */
@Entity({ name: 'idempotency_keys' })
@Index('ix_idempotency_keys_created', ['createdAt'])
export class IdempotencyKey {
  // By table name: organizations belong to the auth library.
  @ForeignKey('organizations', { name: 'idempotency_keys_organization_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'organization_id', type: 'uuid', primaryKeyConstraintName: 'pk_idempotency_keys' })
  organizationId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'pk_idempotency_keys' })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 40, primaryKeyConstraintName: 'pk_idempotency_keys' })
  operation!: string;

  @PrimaryColumn({ type: 'varchar', length: 200, primaryKeyConstraintName: 'pk_idempotency_keys' })
  key!: string;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode!: number | null;

  @Column({ type: 'jsonb', nullable: true })
  response!: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
