import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { CommitNudgeSubscriber } from '@app/jobs';
import { prepared, TxHost } from '@app/database';
import { ACCESS_SETTINGS, AccessSettings } from './access-settings';

const QUEUE = 'access.sync';

/**
 * Marks firewalls as needing work, in the caller's transaction (the outbox idea: the state change
 * and the work it needs commit together or not at all). Once the transaction has committed, this
 * instance's engine is woken; other instances find the work at their next poll.
 *
 * Inside a transaction the marks are gathered and written just before its COMMIT: the row lock a
 * mark takes on resource_sync then lasts one statement, not the rest of a session's start, so the
 * engine's claims (SKIP LOCKED) and lease updates on that firewall are not held up by requests.
 */
@Injectable()
export class WorkSchedule implements OnModuleInit, EntitySubscriberInterface {
  private readonly listeners: Array<() => void> = [];
  private readonly commitNudges = new CommitNudgeSubscriber(() => this.listeners.forEach((wake) => wake()));
  private readonly pending = new WeakMap<QueryRunner, Map<string, string>>();

  constructor(
    private readonly txHost: TxHost,
    private readonly dataSource: DataSource,
    @Inject(ACCESS_SETTINGS) private readonly settings: AccessSettings,
  ) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(this, this.commitNudges);
  }

  onWork(wake: () => void): void {
    this.listeners.push(wake);
  }

  /** resourceId -> organizationId. */
  async markDue(resources: Map<string, string>): Promise<void> {
    if (resources.size === 0) {
      return;
    }
    const runner = this.txHost.tx.queryRunner;
    if (runner?.isTransactionActive) {
      const marks = this.pending.get(runner) ?? new Map<string, string>();
      resources.forEach((organizationId, resourceId) => marks.set(resourceId, organizationId));
      this.pending.set(runner, marks);
      this.commitNudges.afterCommitOf(runner, QUEUE);
      return;
    }
    await this.write(this.txHost.tx, resources);
    this.listeners.forEach((wake) => wake());
  }

  /** A savepoint's release fires this too: the marks are then written a little early, still in the transaction. */
  async beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const marks = this.pending.get(event.queryRunner);
    if (marks) {
      this.pending.delete(event.queryRunner);
      await this.write(event.queryRunner, marks);
    }
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) {
      this.pending.delete(event.queryRunner);
    }
  }

  /** Sorted, so concurrent transactions lock resource_sync rows in one order. */
  private async write(target: Pick<QueryRunner, 'query'>, resources: Map<string, string>): Promise<void> {
    const ids = [...resources.keys()].sort();
    await target.query(
      // A firewall EntryGuard writes to is reconciled from then on, every RECONCILE_INTERVAL_MINUTES.
      // A firewall already due keeps its place in the queue (the earlier due_at), so busy ones are not pushed back.
      prepared(
        `INSERT INTO resource_sync (resource_id, organization_id, due_at, generation, reconcile_due_at)
       SELECT id, org, now(), 1, now() + make_interval(mins => $3) FROM unnest($1::uuid[], $2::uuid[]) AS t(id, org)
       ON CONFLICT (resource_id) DO UPDATE SET due_at = LEAST(resource_sync.due_at, now()), generation = resource_sync.generation + 1`,
      ),
      [ids, ids.map((id) => resources.get(id)), this.settings.reconcileIntervalMinutes],
    );
  }
}
