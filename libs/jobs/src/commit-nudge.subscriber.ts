import { EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

/**
 * Wakes the local workers of the queues a transaction enqueued into, once it has committed: a
 * worker woken before the commit would not see the rows yet, and would sleep a whole poll
 * interval. Rolled back: nothing to wake. (Savepoints commit and roll back with the outer
 * transaction, so only the outermost commit counts.)
 */
export class CommitNudgeSubscriber implements EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, Set<string>>();

  constructor(private readonly nudge: (queue: string) => void) {}

  /** Call inside the transaction that enqueued into `queue`. */
  afterCommitOf(runner: QueryRunner, queue: string): void {
    const queues = this.pending.get(runner) ?? new Set<string>();
    queues.add(queue);
    this.pending.set(runner, queues);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (event.queryRunner.isTransactionActive) {
      return;
    }
    const queues = this.pending.get(event.queryRunner);
    this.pending.delete(event.queryRunner);
    queues?.forEach((queue) => this.nudge(queue));
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) {
      this.pending.delete(event.queryRunner);
    }
  }
}
