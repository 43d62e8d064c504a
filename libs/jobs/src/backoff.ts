export const DEFAULT_BACKOFF_BASE_SECONDS = 5;
/** No retry waits longer than this (§13: backoff capped at 5 minutes). */
export const DEFAULT_BACKOFF_MAX_SECONDS = 300;

/**
 * Seconds before the next try after `attempt` failed: base * 2^(attempt - 1), capped, and then
 * up to 20% shorter at random, so that jobs failed by one outage do not all come back at once.
 */
export function retryDelaySeconds(
  attempt: number,
  baseSeconds = DEFAULT_BACKOFF_BASE_SECONDS,
  maxSeconds = DEFAULT_BACKOFF_MAX_SECONDS,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.max(1, Math.round(exponential * (0.8 + 0.2 * random())));
}
