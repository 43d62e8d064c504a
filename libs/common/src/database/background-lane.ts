import { AsyncLocalStorage } from 'node:async_hooks';

const lane = new AsyncLocalStorage<true>();

/**
 * Background work (the engine, the job queue, sweeps) takes its database connections from a pool
 * of its own (DB_BACKGROUND_POOL_SIZE, see LanedPool): a burst of requests, each holding a request
 * connection for its whole transaction, then cannot make the engine's short statements queue
 * behind it, and a busy engine cannot take the connections requests need. Everything `work`
 * starts, however deep, is in the lane. Pollers and due-work jobs enter it themselves.
 */
export function inBackgroundLane<T>(work: () => T): T {
  return lane.run(true, work);
}

export function isBackgroundLane(): boolean {
  return lane.getStore() === true;
}
