import { AsyncLocalStorage } from 'node:async_hooks';
import { ClsService } from 'nestjs-cls';
import { isBackgroundLane } from '../database/background-lane';
import { DueWorkJob } from './due-work.job';

/** Items due in a list; `claim` takes from its head, as a SKIP LOCKED claim takes due rows. */
function backlog(count: number) {
  const due = Array.from({ length: count }, (_, i) => i);
  const claims: number[] = [];
  return {
    due,
    claims,
    claim: (limit: number) => {
      const taken = due.splice(0, limit);
      claims.push(taken.length);
      return Promise.resolve(taken);
    },
  };
}

/** Each item takes `ms(item)`; records when it started and how many ran at once. */
function timedWork(ms: (item: number) => number) {
  const started = new Map<number, number>();
  let running = 0;
  let most = 0;
  return {
    started,
    get most() {
      return most;
    },
    get running() {
      return running;
    },
    process: async (item: number) => {
      started.set(item, Date.now());
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, ms(item)));
      running -= 1;
    },
  };
}

function job(
  options: Partial<ConstructorParameters<typeof DueWorkJob<number>>[0]> &
    Pick<ConstructorParameters<typeof DueWorkJob<number>>[0], 'claim' | 'process'>,
) {
  return new DueWorkJob<number>({
    name: 'spec',
    enabled: true,
    intervalMs: 60_000,
    batchSize: 4,
    concurrency: 4,
    cls: new ClsService(new AsyncLocalStorage()),
    ...options,
  });
}

/** Runs one round by starting the job and waiting for the backlog to be worked. */
async function runUntil(subject: DueWorkJob<number>, done: () => boolean): Promise<void> {
  subject.start();
  const deadline = Date.now() + 5_000;
  while (!done() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await subject.stop();
}

describe('DueWorkJob', () => {
  it('in batch rounds, a slow item holds back the next claim until the whole round is done', async () => {
    const items = backlog(8);
    const work = timedWork((item) => (item === 0 ? 300 : 10));
    await runUntil(job({ claim: items.claim, process: work.process }), () => work.started.size === 8);
    expect(work.started.size).toBe(8);
    // Items 4..7 were claimed only after item 0 (300 ms) finished: the round waited for it.
    expect(work.started.get(4)! - work.started.get(0)!).toBeGreaterThanOrEqual(290);
  });

  it('refilling, free slots claim more at once while a slow item is still running', async () => {
    const items = backlog(8);
    const work = timedWork((item) => (item === 0 ? 300 : 10));
    // What each claim asked for, beside the items running at that moment.
    const asked: Array<[number, number]> = [];
    const claim = (limit: number) => {
      asked.push([limit, work.running]);
      return items.claim(limit);
    };
    await runUntil(job({ claim, process: work.process, refill: true }), () => work.started.size === 8);
    expect(work.started.size).toBe(8);
    expect(work.started.get(4)! - work.started.get(0)!).toBeLessThan(200);
    // Never more at once than the slots, and never more claimed than free slots: no claimed item waits for a slot.
    expect(work.most).toBeLessThanOrEqual(4);
    expect(asked.every(([limit, running]) => limit + running <= 4)).toBe(true);
    expect(asked.length).toBeGreaterThan(2);
  });

  it('refilling, a nudge while the round runs claims at once for the free slots (not after the round), and the round ends when a claim finds nothing', async () => {
    const items = backlog(2);
    const work = timedWork(() => 300);
    const subject = job({ claim: items.claim, process: work.process, refill: true });
    subject.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    items.due.push(100, 101);
    subject.nudge();
    const deadline = Date.now() + 5_000;
    while ((work.started.size < 4 || items.claims.at(-1) !== 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await subject.stop();
    expect([...work.started.keys()].sort((a, b) => a - b)).toEqual([0, 1, 100, 101]);
    // Started while the first two (300 ms each) were still running.
    expect(work.started.get(100)! - work.started.get(0)!).toBeLessThan(200);
    expect(items.claims.at(-1)).toBe(0);
  });

  it('refilling, a failed claim ends the round without losing the items in hand', async () => {
    let calls = 0;
    const work = timedWork(() => 20);
    const claim = (limit: number) => {
      calls += 1;
      return calls === 1 ? Promise.resolve(Array.from({ length: limit }, (_, i) => i)) : Promise.reject(new Error('database gone'));
    };
    await runUntil(job({ claim, process: work.process, refill: true }), () => work.started.size === 4 && calls >= 2);
    expect(work.started.size).toBe(4);
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('claims and items run in the background lane (their own database connections), also when a request nudges the job', async () => {
    const lanes: string[] = [];
    const items = backlog(2);
    const claim = (limit: number) => {
      lanes.push(`claim ${isBackgroundLane()}`);
      return items.claim(limit);
    };
    const process = async (item: number) => {
      lanes.push(`item ${item} ${isBackgroundLane()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const subject = job({ claim, process, refill: true });
    subject.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    items.due.push(7);
    expect(isBackgroundLane()).toBe(false); // the nudge comes from outside the lane, as a request's commit does
    subject.nudge();
    const deadline = Date.now() + 5_000;
    while (!lanes.includes('item 7 true') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await subject.stop();
    expect(lanes.length).toBeGreaterThanOrEqual(5);
    expect(lanes.filter((entry) => entry.endsWith('false'))).toEqual([]);
    expect(lanes).toContain('item 7 true');
  });
});
