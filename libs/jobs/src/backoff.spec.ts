import { DEFAULT_BACKOFF_MAX_SECONDS, retryDelaySeconds } from './backoff';

describe('retryDelaySeconds', () => {
  const top = () => 1;
  const bottom = () => 0;

  it('doubles from the base with each attempt', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelaySeconds(attempt, 5, 300, top))).toEqual([5, 10, 20, 40]);
  });

  it('is capped at 5 minutes by default, however many attempts failed', () => {
    for (const attempt of [7, 8, 20, 1000]) {
      expect(retryDelaySeconds(attempt, undefined, undefined, top)).toBe(DEFAULT_BACKOFF_MAX_SECONDS);
    }
    expect(DEFAULT_BACKOFF_MAX_SECONDS).toBe(300);
  });

  it('spreads retries over at most the last fifth of the delay, and never below one second', () => {
    expect(retryDelaySeconds(3, 5, 300, bottom)).toBe(16);
    expect(retryDelaySeconds(1000, 5, 300, bottom)).toBe(240);
    expect(retryDelaySeconds(1, 1, 300, bottom)).toBe(1);
  });
});
