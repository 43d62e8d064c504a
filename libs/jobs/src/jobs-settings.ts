export interface JobsSettings {
  /** JOBS_ENABLED: when false, no queue polls on its own (tests start workers or run rounds explicitly). */
  enabled: boolean;
  /** JOBS_POLL_SECONDS: how often each queue looks for due jobs when nothing woke it sooner. */
  pollSeconds: number;
}

export const JOBS_SETTINGS = Symbol('JOBS_SETTINGS');
