import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CommitNudgeSubscriber } from '@app/jobs';
import { TxHost } from '@app/database';
import { ACCESS_SETTINGS, AccessSettings } from './access-settings';

const QUEUE = 'access.sync';

/**
 * Marks firewalls as needing work, in the caller's transaction (the outbox idea: the state change
 * and the work it needs commit together or not at all). Once the transaction has committed, this
 * instance's engine is woken; other instances find the work at their next poll.
 */
@Injectable()
export class WorkSchedule implements OnModuleInit {
  private readonly listeners: Array<() => void> = [];
  private readonly commitNudges = new CommitNudgeSubscriber(() => this.listeners.forEach((wake) => wake()));

  constructor(
    private readonly txHost: TxHost,
    private readonly dataSource: DataSource,
    @Inject(ACCESS_SETTINGS) private readonly settings: AccessSettings,
  ) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(this.commitNudges);
  }

  onWork(wake: () => void): void {
    this.listeners.push(wake);
  }

  /** resourceId -> organizationId. Sorted, so concurrent transactions lock resource_sync rows in one order. */
  async markDue(resources: Map<string, string>): Promise<void> {
    if (resources.size === 0) {
      return;
    }
    const ids = [...resources.keys()].sort();
    await this.txHost.tx.query(
      // A firewall EntryGuard writes to is reconciled from then on, every RECONCILE_INTERVAL_MINUTES.
      `INSERT INTO resource_sync (resource_id, organization_id, due_at, generation, reconcile_due_at)
       SELECT id, org, now(), 1, now() + make_interval(mins => $3) FROM unnest($1::uuid[], $2::uuid[]) AS t(id, org)
       ON CONFLICT (resource_id) DO UPDATE SET due_at = now(), generation = resource_sync.generation + 1`,
      [ids, ids.map((id) => resources.get(id)), this.settings.reconcileIntervalMinutes],
    );
    const runner = this.txHost.tx.queryRunner;
    if (runner?.isTransactionActive) {
      this.commitNudges.afterCommitOf(runner, QUEUE);
    } else {
      this.listeners.forEach((wake) => wake());
    }
  }
}
