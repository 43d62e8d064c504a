import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, ValidateBy } from 'class-validator';
import { DEFAULT_SETTINGS } from '../settings/organization-settings.repository';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordRules } from './password-policy';

/**
 * A new password whose organization's policy the service judges (it needs the database), so that
 * every broken rule comes back at once, under this field's name. Here only: a string, and not
 * absurdly long (128 characters are at most 256 UTF-16 units, so nothing valid is cut).
 */
export const NewPasswordField = (description: string): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ format: 'password', minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, description }),
    IsString(),
    MaxLength(2 * PASSWORD_MAX_LENGTH, { message: `must be at most ${PASSWORD_MAX_LENGTH} characters long` }),
  );

/**
 * Register's password: the default policy (§10), which needs no database, judged by the validation
 * pipe with the body's other fields; each broken rule is one detail under `password`.
 */
export const MeetsDefaultPasswordPolicy = (): PropertyDecorator =>
  applyDecorators(
    ...passwordRules(DEFAULT_SETTINGS).map((rule, index) =>
      ValidateBy({
        name: `passwordPolicy${index}`,
        validator: {
          // A value that is not a string is IsString's to refuse.
          validate: (value: unknown) => typeof value !== 'string' || !rule.isBrokenBy(value),
          defaultMessage: () => rule.message,
        },
      }),
    ),
  );
