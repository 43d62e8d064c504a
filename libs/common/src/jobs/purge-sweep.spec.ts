import { AsyncLocalStorage } from 'node:async_hooks';
import { ClsService } from 'nestjs-cls';
import { PurgeSweep, PurgeSweepOptions } from './purge-sweep';

class TestSweep extends PurgeSweep {
  constructor(options: PurgeSweepOptions) {
    super(options);
  }
}

describe('PurgeSweep', () => {
  /** A sweep over `backlog` rows in batches of 3; `swept` resolves at its first short batch. */
  const sweepOver = (backlog: number, options: { enabled?: boolean; intervalMs?: number } = {}) => {
    const asked: number[] = [];
    let left = backlog;
    let shortBatch!: () => void;
    const swept = new Promise<void>((resolve) => (shortBatch = resolve));
    const sweep = new TestSweep({
      name: 'test',
      enabled: options.enabled ?? false,
      intervalMs: options.intervalMs ?? 60_000,
      batchSize: 3,
      cls: new ClsService(new AsyncLocalStorage()),
      purge: async (limit) => {
        asked.push(limit);
        const deleted = Math.min(limit, left);
        left -= deleted;
        if (deleted < limit) shortBatch();
        return deleted;
      },
    });
    return { sweep, asked, swept, left: () => left };
  };

  it('runOnce deletes batch after batch until one comes back short, and counts them all', async () => {
    const { sweep, asked } = sweepOver(7);
    expect(await sweep.runOnce()).toBe(7);
    expect(asked).toEqual([3, 3, 3]);
  });

  it('runOnce over an exact multiple of the batch asks once more and stops at an empty batch', async () => {
    const { sweep, asked } = sweepOver(6);
    expect(await sweep.runOnce()).toBe(6);
    expect(asked).toEqual([3, 3, 3]);
  });

  it('does not run on its own when disabled', async () => {
    const { sweep, asked } = sweepOver(5, { intervalMs: 1 });
    sweep.onApplicationBootstrap();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await sweep.beforeApplicationShutdown();
    expect(asked).toEqual([]);
  });

  it('when enabled, sweeps the whole backlog at start, batch after batch, then waits for its interval', async () => {
    const { sweep, asked, swept, left } = sweepOver(7, { enabled: true });
    sweep.onApplicationBootstrap();
    await swept;
    // The next round is an interval (a minute) away: stopping now finds no round under way and none starts.
    await sweep.beforeApplicationShutdown();
    expect(left()).toBe(0);
    expect(asked).toEqual([3, 3, 3]);
  });
});
