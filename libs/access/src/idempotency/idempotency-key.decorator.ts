import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ValidationError } from '@app/common';
import { IDEMPOTENCY_KEY_PATTERN } from './idempotency.store';

/** The `Idempotency-Key` header (§13), checked: undefined when absent, 400 naming it when malformed. */
export const IdempotencyKeyHeader = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(value)) {
    throw new ValidationError('Request validation failed', [
      { field: 'Idempotency-Key', message: 'must be 1 to 200 visible ASCII characters' },
    ]);
  }
  return value;
});

/** The same header in the OpenAPI document, for the operations that read it with `@IdempotencyKeyHeader()`. */
export function ApiIdempotencyKeyHeader(): MethodDecorator & ClassDecorator {
  return ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Any string up to 200 characters',
    schema: { type: 'string', maxLength: 200 },
  });
}
