/** Session limits (§13, §17), the same for every organization in this milestone. */
export interface SessionSettings {
  /** SESSION_DEFAULT_HOURS (2): the duration when none is asked for, itself capped. */
  defaultHours: number;
  /** SESSION_MAX_HOURS (24): no session lasts longer from its start, whoever asks. */
  maxHours: number;
  /** SESSION_MAX_CONCURRENT (0 = unlimited): live sessions (PENDING, ACTIVE, PARTIAL) per user. */
  maxConcurrent: number;
}

export const SESSION_SETTINGS = Symbol('SESSION_SETTINGS');
