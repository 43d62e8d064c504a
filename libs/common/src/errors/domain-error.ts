import { ErrorCode, HTTP_STATUS_BY_CODE } from './error-code';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * The base of every error a service may throw. The code survives serialization;
 * the message is written for a person and must never carry secrets or driver text.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  readonly details?: FieldError[];
  /** Set when the service already wrote this refusal's audit row, so it is not written twice. */
  auditRecorded = false;

  protected constructor(message: string, details?: FieldError[]) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }

  get status(): number {
    return HTTP_STATUS_BY_CODE[this.code];
  }
}

/** §1: `details` holds at most this many entries; past it, one more says how many were left out. */
export const MAX_ERROR_DETAILS = 20;

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION_ERROR';
  constructor(message: string, details: FieldError[] = []) {
    super(message, capDetails(details));
  }
}

function capDetails(details: FieldError[]): FieldError[] {
  if (details.length <= MAX_ERROR_DETAILS) {
    return details;
  }
  const more = details.length - MAX_ERROR_DETAILS;
  return [...details.slice(0, MAX_ERROR_DETAILS), { field: 'details', message: `${more} more problem${more === 1 ? '' : 's'} not listed` }];
}

export class UnauthorizedError extends DomainError {
  readonly code = 'UNAUTHORIZED';
  constructor(message = 'Missing or invalid authentication token') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'You do not have permission to perform this action') {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(message = 'The requested resource was not found') {
    super(message);
  }
}

export class MethodNotAllowedError extends DomainError {
  readonly code = 'METHOD_NOT_ALLOWED';
  constructor(message = 'This method is not allowed on this path') {
    super(message);
  }
}

export class RequestTimeoutError extends DomainError {
  readonly code = 'REQUEST_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`The request did not arrive completely within ${timeoutMs} ms`);
  }
}

export class HeadersTooLargeError extends DomainError {
  readonly code = 'HEADERS_TOO_LARGE';
  constructor() {
    super('The request headers are too large');
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly code = 'PAYLOAD_TOO_LARGE';
  constructor(limitBytes: number) {
    super(limitBytes > 0 ? `Request body exceeds the limit of ${limitBytes} bytes` : 'Request body is too large');
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  constructor(message = 'Request body must be application/json') {
    super(message);
  }
}

export class RateLimitExceededError extends DomainError {
  readonly code = 'RATE_LIMIT_EXCEEDED';
  constructor(message = 'Rate limit exceeded. Try again later.') {
    super(message);
  }
}

export class ServiceUnavailableError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(message = 'The service is temporarily unavailable. Try again shortly.') {
    super(message);
  }
}

export class InternalError extends DomainError {
  readonly code = 'INTERNAL_ERROR';
  constructor() {
    super('An unexpected error occurred');
  }
}
