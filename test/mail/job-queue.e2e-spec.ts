import { FinishedJobsSweep, FINISHED_JOB_RETENTION_DAYS, PermanentJobError } from '@app/jobs';
import { randomUUID } from 'node:crypto';
import { startTestApp, TestApp } from '../harness/test-app';
import { deferred, inContext, inTransaction, jobRow, jobsInQueue, jobsOf, makeDue, uniqueQueue, waitUntil } from './job-helpers';

const LEASE = { concurrency: 1, leaseSeconds: 60 };

/**
 * The durable job queue (libs/jobs, decisions §13): jobs live in the caller's transaction, survive
 * the instance that enqueued them, run on one instance at a time, and are taken over when an
 * instance dies. Two app instances on one database stand for two servers.
 */
describe('job queue', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // JOBS_ENABLED=false (the harness): nothing runs unless a test starts a worker or runs a round.
    [a, b] = await Promise.all([startTestApp({ JOBS_POLL_SECONDS: '1' }), startTestApp({ JOBS_POLL_SECONDS: '1' })]);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('keeps a job committed with no worker running, and runs it on an instance started later', async () => {
    const queue = uniqueQueue();
    const first = await startTestApp();
    const id = await inTransaction(first, () => jobsOf(first).enqueue(queue, { n: 42 }));
    // The instance that enqueued it goes away without ever running it.
    await first.close();
    expect(await jobRow(a.db, id)).toMatchObject({ queue, status: 'PENDING', attempts: 0, payload: { n: 42 } });

    const later = await startTestApp();
    try {
      const seen: unknown[] = [];
      jobsOf(later).process(
        queue,
        async (payload, context) => {
          seen.push({ payload, attempt: context.attempt, id: context.id });
        },
        LEASE,
      );
      expect(await jobsOf(later).runOnce(queue)).toBe(1);
      expect(seen).toEqual([{ payload: { n: 42 }, attempt: 1, id }]);
      const row = await jobRow(a.db, id);
      expect(row).toMatchObject({ status: 'DONE', attempts: 1, locked_until: null, last_error: null });
      expect(row?.finished_at).toBeInstanceOf(Date);
    } finally {
      await later.close();
    }
  });

  it('writes the job in the caller transaction: invisible until the commit, gone with a rollback', async () => {
    const queue = uniqueQueue();
    let insideId = '';
    await inTransaction(a, async () => {
      insideId = await jobsOf(a).enqueue(queue, { step: 'inside' });
      // Another connection (another instance) cannot see it before the commit.
      expect(await jobRow(a.db, insideId)).toBeUndefined();
    });
    expect(await jobRow(a.db, insideId)).toMatchObject({ status: 'PENDING' });

    const failure = new Error('the change failed');
    await expect(
      inTransaction(a, async () => {
        await jobsOf(a).enqueue(queue, { step: 'rolled back' });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect((await jobsInQueue(a.db, queue)).map((row) => row.payload)).toEqual([{ step: 'inside' }]);
  });

  it('never runs one job on two instances at once: 60 jobs, two polling instances, each job once', async () => {
    const queue = uniqueQueue();
    const runs = new Map<string, number>();
    const byInstance = { a: 0, b: 0 };
    const handler = (instance: 'a' | 'b') => async (_payload: object, context: { id: string }) => {
      runs.set(context.id, (runs.get(context.id) ?? 0) + 1);
      byInstance[instance]++;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    };
    jobsOf(a).process(queue, handler('a'), { concurrency: 4, leaseSeconds: 60 });
    jobsOf(b).process(queue, handler('b'), { concurrency: 4, leaseSeconds: 60 });
    const ids = await inTransaction(a, async () => {
      const enqueued: string[] = [];
      for (let n = 0; n < 60; n++) {
        enqueued.push(await jobsOf(a).enqueue(queue, { n }));
      }
      return enqueued;
    });

    jobsOf(a).start(queue);
    jobsOf(b).start(queue);
    // Extra rounds on demand, racing the pollers.
    await Promise.all([jobsOf(a).runOnce(queue), jobsOf(b).runOnce(queue), jobsOf(a).runOnce(queue), jobsOf(b).runOnce(queue)]);
    try {
      await waitUntil(async () => (await jobsInQueue(a.db, queue)).every((row) => row.status === 'DONE'), 20_000, 'all jobs done');
    } finally {
      await Promise.all([jobsOf(a).stop(queue), jobsOf(b).stop(queue)]);
    }
    expect([...runs.keys()].sort()).toEqual([...ids].sort());
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(byInstance.a + byInstance.b).toBe(60);
    expect(byInstance.a).toBeGreaterThan(0);
    expect(byInstance.b).toBeGreaterThan(0);
    expect((await jobsInQueue(a.db, queue)).every((row) => row.attempts === 1)).toBe(true);
  });

  it('lets another instance take over a job whose instance died, once the lease has run out', async () => {
    const queue = uniqueQueue();
    const started = deferred();
    const dying = deferred();
    const sideEffects: string[] = [];
    // Instance A claims the job and then "dies": its handler never gets past the first await.
    jobsOf(a).process(
      queue,
      async () => {
        started.resolve();
        await dying.promise;
        sideEffects.push('a');
      },
      { concurrency: 1, leaseSeconds: 1 },
    );
    jobsOf(b).process(
      queue,
      async (_payload, context) => {
        sideEffects.push(`b:${context.attempt}`);
      },
      { concurrency: 1, leaseSeconds: 1 },
    );
    const id = await inContext(a, () => jobsOf(a).enqueue(queue, {}));
    const roundOfA = jobsOf(a).runOnce(queue);
    await started.promise;

    // While A's lease holds, B finds nothing to do.
    expect(await jobsOf(b).runOnce(queue)).toBe(0);
    expect(await jobRow(a.db, id)).toMatchObject({ status: 'PENDING', attempts: 1 });

    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await jobsOf(b).runOnce(queue)).toBe(1);
    expect(sideEffects).toEqual(['b:2']);
    const done = await jobRow(a.db, id);
    expect(done).toMatchObject({ status: 'DONE', attempts: 2 });

    // A wakes up late: its claim is fenced off, it cannot finish (or reschedule) the job any more.
    await new Promise((resolve) => setTimeout(resolve, 20));
    dying.resolve();
    await roundOfA;
    expect(await jobRow(a.db, id)).toEqual(done);
    expect(sideEffects).toEqual(['b:2', 'a']);
  });

  it('retries a failing job with exponential backoff, then marks it FAILED after max attempts', async () => {
    const queue = uniqueQueue();
    let calls = 0;
    jobsOf(a).process(
      queue,
      async () => {
        calls++;
        throw new Error(`provider said no (call ${calls})`);
      },
      LEASE,
    );
    const id = await inContext(a, () => jobsOf(a).enqueue(queue, {}, { maxAttempts: 3 }));

    const delays: number[] = [];
    for (const attempt of [1, 2]) {
      const before = Date.now();
      expect(await jobsOf(a).runOnce(queue)).toBe(1);
      const row = (await jobRow(a.db, id))!;
      expect(row).toMatchObject({
        status: 'PENDING',
        attempts: attempt,
        locked_until: null,
        last_error: `provider said no (call ${attempt})`,
      });
      delays.push((row.run_at.getTime() - before) / 1000);
      // Not due yet: a round now finds nothing.
      expect(await jobsOf(a).runOnce(queue)).toBe(0);
      await makeDue(a.db, id);
    }
    // base 5 s, doubling, up to 20% earlier: [4, 5] then [8, 10] seconds (with some clock slack).
    expect(delays[0]).toBeGreaterThan(3.5);
    expect(delays[0]).toBeLessThan(5.5);
    expect(delays[1]).toBeGreaterThan(7.5);
    expect(delays[1]).toBeLessThan(10.5);

    expect(await jobsOf(a).runOnce(queue)).toBe(1);
    const row = await jobRow(a.db, id);
    expect(row).toMatchObject({ status: 'FAILED', attempts: 3, last_error: 'provider said no (call 3)' });
    expect(row?.finished_at).toBeInstanceOf(Date);
    await makeDue(a.db, id);
    expect(await jobsOf(a).runOnce(queue)).toBe(0);
    expect(calls).toBe(3);
  });

  it('fails a job at once on a PermanentJobError, and blanks the payload when asked to', async () => {
    const queue = uniqueQueue();
    jobsOf(a).process(
      queue,
      async () => {
        throw new PermanentJobError('the target is gone');
      },
      { ...LEASE, clearPayloadWhenFinished: true },
    );
    const id = await inContext(a, () => jobsOf(a).enqueue(queue, { secretish: 'x' }));
    await jobsOf(a).runOnce(queue);
    expect(await jobRow(a.db, id)).toMatchObject({ status: 'FAILED', attempts: 1, last_error: 'the target is gone', payload: {} });
  });

  it('fails a job whose last allowed attempt never finished (its instance died), once the lease runs out', async () => {
    const queue = uniqueQueue();
    const started = deferred();
    const never = deferred();
    jobsOf(a).process(
      queue,
      async () => {
        started.resolve();
        await never.promise;
      },
      { concurrency: 1, leaseSeconds: 1 },
    );
    jobsOf(b).process(queue, async () => undefined, { concurrency: 1, leaseSeconds: 1 });
    const id = await inContext(a, () => jobsOf(a).enqueue(queue, {}, { maxAttempts: 1 }));
    const roundOfA = jobsOf(a).runOnce(queue);
    await started.promise;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await jobsOf(b).runOnce(queue)).toBe(0);
    expect(await jobRow(a.db, id)).toMatchObject({ status: 'FAILED', attempts: 1, last_error: expect.stringContaining('never finished') });
    never.resolve();
    await roundOfA;
    expect(await jobRow(a.db, id)).toMatchObject({ status: 'FAILED' });
  });

  it('wakes a polling worker of this instance once the enqueuing transaction commits', async () => {
    const queue = uniqueQueue();
    // A poll interval of an hour: only the nudge after the commit can run the job in time.
    const slow = await startTestApp({ JOBS_POLL_SECONDS: '3600' });
    try {
      const ran = deferred<string>();
      jobsOf(slow).process(queue, async (_payload, context) => ran.resolve(context.id), LEASE);
      jobsOf(slow).start(queue);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the first, empty round
      const id = await inTransaction(slow, async () => {
        const enqueued = await jobsOf(slow).enqueue(queue, {});
        await new Promise((resolve) => setTimeout(resolve, 500)); // still uncommitted: nothing to run yet
        return enqueued;
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((_, reject) => (timer = setTimeout(() => reject(new Error('not run within 5 s')), 5_000)));
      try {
        expect(await Promise.race([ran.promise, timeout])).toBe(id);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await slow.close();
    }
  });

  it('runs a round in a context of its own, never on the connection of a transaction it was started from', async () => {
    const queue = uniqueQueue();
    jobsOf(a).process(queue, async () => undefined, LEASE);
    const id = await inTransaction(a, async () => {
      const enqueued = await jobsOf(a).enqueue(queue, {});
      // Started from inside the transaction (as a nudge's timer is): it must not see the uncommitted job.
      expect(await jobsOf(a).runOnce(queue)).toBe(0);
      return enqueued;
    });
    expect(await jobRow(a.db, id)).toMatchObject({ status: 'PENDING', attempts: 0 });
    expect(await jobsOf(a).runOnce(queue)).toBe(1);
  });

  it('stops on shutdown after the job in hand, which is recorded as done', async () => {
    const queue = uniqueQueue();
    const instance = await startTestApp({ JOBS_POLL_SECONDS: '1' });
    const started = deferred();
    let finished = false;
    jobsOf(instance).process(
      queue,
      async () => {
        started.resolve();
        await new Promise((resolve) => setTimeout(resolve, 500));
        finished = true;
      },
      LEASE,
    );
    jobsOf(instance).start(queue);
    const [first, second] = await inTransaction(instance, async () => [
      await jobsOf(instance).enqueue(queue, {}),
      await jobsOf(instance).enqueue(queue, {}),
    ]);
    await started.promise;
    await instance.close();
    expect(finished).toBe(true);
    const rows = [await jobRow(a.db, first), await jobRow(a.db, second)];
    // concurrency 1: one job was in hand and finished; the other was never claimed and waits for another instance.
    expect(rows.map((row) => row?.status).sort()).toEqual(['DONE', 'PENDING']);
    expect(rows.find((row) => row?.status === 'PENDING')).toMatchObject({ attempts: 0, locked_until: null });
  });
  it('sweeps finished jobs past their retention; pending ones, recent ones and rows another transaction holds stay', async () => {
    const queue = uniqueQueue('retention');
    const days = (n: number) => `now() - make_interval(days => ${n})`;
    const insert = async (status: string, finishedAt: string | null) => {
      const id = randomUUID();
      await a.db.query(
        `INSERT INTO jobs (id, queue, status, max_attempts, created_at, finished_at) VALUES ($1, $2, $3, 1, ${days(30)}, ${finishedAt ?? 'NULL'})`,
        [id, queue, status],
      );
      return id;
    };
    const old = FINISHED_JOB_RETENTION_DAYS + 1;
    const doneOld = await insert('DONE', days(old));
    const failedOld = await insert('FAILED', days(old));
    const held = await insert('DONE', days(old));
    const doneRecent = await insert('DONE', days(FINISHED_JOB_RETENTION_DAYS - 1));
    const pendingOld = await insert('PENDING', null);

    const holder = await a.db.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM jobs WHERE id = $1 FOR UPDATE', [held]);
      // SKIP LOCKED: the sweep passes the held row by rather than waiting for it.
      expect(await a.app.get(FinishedJobsSweep).runOnce()).toBeGreaterThanOrEqual(2);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const left = await a.db.query(`SELECT id FROM jobs WHERE queue = $1`, [queue]);
    expect(left.rows.map((row) => row.id).sort()).toEqual([held, doneRecent, pendingOld].sort());
    expect([doneOld, failedOld].every((id) => !left.rows.some((row) => row.id === id))).toBe(true);
    // Let go of, the held row goes at the next sweep.
    expect(await a.app.get(FinishedJobsSweep).runOnce()).toBeGreaterThanOrEqual(1);
    expect(await jobRow(a.db, held)).toBeUndefined();
  });
});
