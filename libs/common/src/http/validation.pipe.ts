import { ArgumentMetadata, Injectable, PipeTransform, ValidationPipe, ValidationError as ClassValidationError } from '@nestjs/common';
import { FieldError, UnsupportedMediaTypeError, ValidationError } from '../errors/domain-error';
import { findUnsafeInput } from '../validation/unsafe-input';

/** Flattens class-validator's tree into `details` with dotted field paths. */
export function flattenValidationErrors(errors: ClassValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ field, message: message.replace(/^property /, '') });
    }
    if (error.children?.length) {
      out.push(...flattenValidationErrors(error.children, field));
    }
  }
  return out;
}

export function validationFailed(details: FieldError[]): ValidationError {
  return new ValidationError('Request validation failed', details);
}

/**
 * What the body parser hands on instead of failing, so that a bad body is refused here, after
 * authentication and role checks (401 and 403 come first, and the refusal can be audited).
 */
export const MALFORMED_JSON_BODY: unique symbol = Symbol('MALFORMED_JSON_BODY');
export const UNSUPPORTED_MEDIA_BODY: unique symbol = Symbol('UNSUPPORTED_MEDIA_BODY');
export const TOO_DEEP_JSON_BODY: unique symbol = Symbol('TOO_DEEP_JSON_BODY');
/** No request of ours nests deeper; class-transformer recurses and would overflow long before JSON.parse. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whitelists and transforms DTOs; unknown fields are refused, never silently stored.
 * A body that is not a JSON object is refused before class-validator sees it.
 */
@Injectable()
export class AppValidationPipe implements PipeTransform {
  private readonly inner = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
  });

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && value === MALFORMED_JSON_BODY) {
      throw new ValidationError('Request body is not valid JSON');
    }
    if (metadata.type === 'body' && value === TOO_DEEP_JSON_BODY) {
      throw new ValidationError(`Request body is nested more than ${MAX_JSON_DEPTH} levels deep`);
    }
    if (metadata.type === 'body' && value === UNSUPPORTED_MEDIA_BODY) {
      throw new UnsupportedMediaTypeError();
    }
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      // No body at all is an empty object: the DTO's own rules then say what is missing, and a
      // body whose fields are all optional (logout) needs none.
      value = value === undefined ? {} : value;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new ValidationError('Request body must be a JSON object', [{ field: 'body', message: 'must be a JSON object' }]);
      }
    }
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      const unsafe = findUnsafeInput(value, metadata.type === 'param' ? (metadata.data ?? '') : '');
      if (unsafe.length > 0) {
        throw validationFailed(unsafe);
      }
    }
    return this.inner.transform(value, metadata);
  }
}
