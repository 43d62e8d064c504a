/**
 * The faults a fake provider can be told to show, the same for AWS and APISIX: slow answers,
 * throttling (the next N calls, or for a while), being down, and counters of the calls it got.
 * Everything can be changed at runtime, in process or through the control endpoint of the
 * standalone fakes process (fakes.process.ts).
 */

/** false: up. 'refuse': every connection is reset at once. 'unavailable': every call answers 503. */
export type DownMode = false | 'refuse' | 'unavailable';

export interface ThrottleControl {
  /** Throttle the next `count` calls that reach the provider logic. */
  count?: number;
  /** Throttle every call for this many milliseconds from now. */
  forMs?: number;
  /** Only these actions (AWS: e.g. AuthorizeSecurityGroupIngress; APISIX: HTTP methods). Default all. */
  actions?: string[];
}

/** What POST /aws/controls and POST /apisix/controls accept; absent fields are left as they are. */
export interface FaultControls {
  delayMs?: number;
  /** null clears any throttling. */
  throttle?: ThrottleControl | null;
  down?: DownMode;
  resetCounters?: boolean;
}

export class FakeFaults {
  /** Every answer waits this long first (the work is done after the wait, atomically). */
  delayMs = 0;
  down: DownMode = false;
  private throttleBudget = 0;
  private throttleUntil = 0;
  private throttleActions?: Set<string>;
  private readonly counters = new Map<string, number>();

  /** The next `count` calls (optionally only these actions) are throttled. */
  throttleNext(count: number, actions?: string[]): void {
    this.throttleBudget = Math.max(0, Math.floor(count));
    this.throttleUntil = 0;
    this.throttleActions = actions ? new Set(actions) : undefined;
  }

  /** Every call (optionally only these actions) is throttled for `ms` milliseconds from now. */
  throttleFor(ms: number, actions?: string[]): void {
    this.throttleBudget = 0;
    this.throttleUntil = Date.now() + Math.max(0, ms);
    this.throttleActions = actions ? new Set(actions) : undefined;
  }

  clearThrottle(): void {
    this.throttleBudget = 0;
    this.throttleUntil = 0;
    this.throttleActions = undefined;
  }

  /** Used by the servers: whether this call is throttled (consuming one unit of a count). */
  takeThrottle(action: string): boolean {
    if (this.throttleActions && !this.throttleActions.has(action)) {
      return false;
    }
    if (this.throttleUntil > Date.now()) {
      return true;
    }
    if (this.throttleBudget > 0) {
      this.throttleBudget--;
      return true;
    }
    return false;
  }

  /** Used by the servers: one call of this action arrived. */
  count(action: string): void {
    this.counters.set(action, (this.counters.get(action) ?? 0) + 1);
  }

  /** Calls received per action since the last reset (refused connections are not calls). */
  callCounts(): Record<string, number> {
    return Object.fromEntries([...this.counters].sort(([a], [b]) => a.localeCompare(b)));
  }

  callCount(action: string): number {
    return this.counters.get(action) ?? 0;
  }

  resetCounters(): void {
    this.counters.clear();
  }

  /** Applies a control message (the body of POST /…/controls). */
  apply(controls: FaultControls): void {
    if (controls.delayMs !== undefined) {
      this.delayMs = Math.max(0, Number(controls.delayMs) || 0);
    }
    if (controls.throttle === null) {
      this.clearThrottle();
    } else if (controls.throttle) {
      const { count, forMs, actions } = controls.throttle;
      if (forMs !== undefined) {
        this.throttleFor(forMs, actions);
      } else {
        this.throttleNext(count ?? 0, actions);
      }
    }
    if (controls.down !== undefined) {
      this.down = controls.down;
    }
    if (controls.resetCounters) {
      this.resetCounters();
    }
  }

  /** What GET /state shows about the faults. */
  describe(): { delayMs: number; down: DownMode; throttled: boolean } {
    return { delayMs: this.delayMs, down: this.down, throttled: this.throttleBudget > 0 || this.throttleUntil > Date.now() };
  }
}

/** A bounded request log: tests read the recent requests, a bench or soak never grows it forever. */
export function pushBounded<T>(log: T[], entry: T, max = 10_000): void {
  log.push(entry);
  if (log.length > max * 2) {
    log.splice(0, log.length - max);
  }
}

export function sleepUnref(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
