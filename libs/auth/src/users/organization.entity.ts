import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A tenant. Columns mirror the initial migration, which stays the schema's source. */
@Entity({ name: 'organizations' })
@Unique('uq_organizations_slug', ['slug'])
export class Organization {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 100 })
  slug!: string;

  @Column({ name: 'subscription_tier', type: 'varchar', length: 20, default: 'FREE' })
  subscriptionTier!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  // A plain column, not @UpdateDateColumn: every builder UPDATE would otherwise bump it.
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
