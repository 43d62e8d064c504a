import { HttpException } from '@nestjs/common';
import {
  DomainError,
  ForbiddenError,
  InternalError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitExceededError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './domain-error';

/** Connection-level failures: the database (or a dependency) is unreachable, not the request wrong. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
  'connect ECONNREFUSED',
];

export function isUnavailableError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const candidate = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && UNAVAILABLE_CODES.has(candidate.code)) {
      return true;
    }
    if (typeof candidate.message === 'string' && UNAVAILABLE_MESSAGES.some((m) => (candidate.message as string).includes(m))) {
      return true;
    }
    current = candidate.driverError ?? candidate.cause;
  }
  return false;
}

const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'Request body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body is empty but Content-Type is application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the request body',
};

function fromStatus(status: number, cause: { code?: string } | undefined, message: string): DomainError {
  switch (status) {
    case 400: {
      const known = cause?.code ? FASTIFY_MESSAGES[cause.code] : undefined;
      const syntax = cause instanceof SyntaxError || /JSON/i.test(message);
      return new ValidationError(known ?? (syntax ? 'Request body is not valid JSON' : 'Bad request'));
    }
    case 401:
      return new UnauthorizedError();
    case 403:
      return new ForbiddenError();
    case 404:
      return new NotFoundError('The requested route was not found');
    case 405:
      return new MethodNotAllowedError();
    case 413:
      return new PayloadTooLargeError(0);
    case 415:
      return new UnsupportedMediaTypeError();
    case 429:
      return new RateLimitExceededError();
    case 503:
      return new ServiceUnavailableError();
    default:
      return status >= 500 ? new InternalError() : new ValidationError('Bad request');
  }
}

/** Turns anything thrown anywhere into the one error type the filter knows how to write. */
export function toDomainError(exception: unknown): DomainError {
  if (exception instanceof DomainError) {
    return exception;
  }
  if (isUnavailableError(exception)) {
    return new ServiceUnavailableError();
  }
  if (exception instanceof HttpException) {
    return fromStatus(exception.getStatus(), exception.cause as { code?: string } | undefined, exception.message);
  }
  // Errors raised inside Fastify's own request handling (body parsing) carry their status.
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return fromStatus(status, exception as { code?: string }, String((exception as Error).message ?? ''));
  }
  return new InternalError();
}
