import { DomainError } from '@app/common';

export class SessionNotFoundError extends DomainError {
  readonly code = 'SESSION_NOT_FOUND';
  constructor(id: string) {
    super(`Session with ID ${id} not found`);
  }
}

export class SessionNotActiveError extends DomainError {
  readonly code = 'SESSION_NOT_ACTIVE';
  constructor(status: string) {
    super(`Session is not active (status ${status})`);
  }
}

export class DurationExceedsLimitError extends DomainError {
  readonly code = 'DURATION_EXCEEDS_LIMIT';
  static forStart(limitHours: number): DurationExceedsLimitError {
    return new DurationExceedsLimitError(`Session duration exceeds the limit of ${hours(limitHours)}`);
  }
  static forExtend(limitHours: number, hoursLeft: number): DurationExceedsLimitError {
    return new DurationExceedsLimitError(
      `Extension exceeds the session limit of ${hours(limitHours)} from its start: at most ${hours(hoursLeft)} can be added`,
    );
  }
  private constructor(message: string) {
    super(message);
  }
}

export class SessionLimitReachedError extends DomainError {
  readonly code = 'SESSION_LIMIT_REACHED';
  constructor(limit: number) {
    super(`You already have ${limit} live ${limit === 1 ? 'session' : 'sessions'}, the most allowed. Stop one first.`);
  }
}

export class NoResourcesAssignedError extends DomainError {
  readonly code = 'NO_RESOURCES_ASSIGNED';
  constructor() {
    super('No active resources are assigned to you');
  }
}

function hours(n: number): string {
  return `${n} ${n === 1 ? 'hour' : 'hours'}`;
}
