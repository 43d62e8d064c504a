/** The engine's settings (§17), read once by the app's configuration. */
export interface AccessSettings {
  /** JOBS_ENABLED: false leaves the workers idle (tests drive them with `runOnce`). */
  jobsEnabled: boolean;
  /** JOBS_POLL_SECONDS: how often each instance looks for due work and expired sessions. */
  pollSeconds: number;
  /** SESSION_APPLY_TIMEOUT_SECONDS: how long transient provider failures are retried before a rule is FAILED. */
  applyTimeoutSeconds: number;
  /** RECONCILE_INTERVAL_MINUTES: how often each firewall is compared with what its grants say. */
  reconcileIntervalMinutes: number;
  /** ENGINE_LEASE_SECONDS: how long a claimed firewall stays with one instance; longer than any provider call. */
  leaseSeconds: number;
  /** Firewalls worked at once per instance. */
  concurrency: number;
}

export const ACCESS_SETTINGS = Symbol('ACCESS_SETTINGS');

/** Backoff for retries of one firewall's work: 1 s, 2 s, 4 s … capped (5 minutes for removals, §13). */
export function retryDelayMs(attempt: number, capSeconds: number): number {
  const seconds = Math.min(capSeconds, 2 ** Math.max(0, attempt - 1));
  return seconds * 1000;
}
