import { Param, ParseUUIDPipe } from '@nestjs/common';
import { ValidationError } from '../errors/domain-error';

/** A path id that is not a UUID is a 400 naming the parameter, never a database error. */
export function UuidParam(name = 'id'): ParameterDecorator {
  return Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => new ValidationError(`Path parameter '${name}' must be a UUID`, [{ field: name, message: 'must be a UUID' }]),
    }),
  );
}
