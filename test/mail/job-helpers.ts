import { randomBytes } from 'node:crypto';
import { ClsService } from 'nestjs-cls';
import { Pool } from 'pg';
import { JobQueue } from '@app/jobs';
import { TxHost } from '@app/database';
import { pollUntil } from '../harness/poll';
import { TestApp } from '../harness/test-app';

export interface JobRow {
  id: string;
  queue: string;
  payload: Record<string, unknown>;
  status: 'PENDING' | 'DONE' | 'FAILED';
  attempts: number;
  max_attempts: number;
  run_at: Date;
  locked_until: Date | null;
  last_error: string | null;
  finished_at: Date | null;
}

/** A queue name of this test's own: the run database is shared by every spec. */
export function uniqueQueue(prefix = 'test'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export function jobsOf(t: TestApp): JobQueue {
  return t.app.get(JobQueue);
}

/** Work in a request-like context, as a service runs in a request. */
export function inContext<T>(t: TestApp, work: () => Promise<T>): Promise<T> {
  return t.app.get(ClsService).run(work);
}

/** Work in one transaction of the app's own (what a service does around a change and its jobs). */
export function inTransaction<T>(t: TestApp, work: () => Promise<T>): Promise<T> {
  return inContext(t, () => t.app.get(TxHost).withTransaction(work));
}

export async function jobRow(db: Pool, id: string): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id]);
  return rows[0];
}

export async function jobsInQueue(db: Pool, queue: string): Promise<JobRow[]> {
  return (await db.query<JobRow>('SELECT * FROM jobs WHERE queue = $1 ORDER BY created_at, id', [queue])).rows;
}

/** Time travel: the retry a backoff scheduled is due now. */
export async function makeDue(db: Pool, id: string): Promise<void> {
  await db.query('UPDATE jobs SET run_at = now() WHERE id = $1', [id]);
}

export async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  if (!(await pollUntil(condition, timeoutMs, 50))) {
    throw new Error(`timed out waiting for ${what}`);
  }
}

/** A promise with its resolve handle: a handler that "hangs" until the test lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
