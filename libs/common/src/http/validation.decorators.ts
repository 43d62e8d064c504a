import { ValidateIf } from 'class-validator';

/**
 * For PATCH fields: may be left out, but when present it is validated, so `null` is refused
 * (class-validator's @IsOptional would let null through to the database).
 */
export const IsOmittable = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);
